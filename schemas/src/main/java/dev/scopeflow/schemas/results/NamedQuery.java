package dev.scopeflow.schemas.results;

import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseMigrations;
import dev.scopeflow.schemas.clickhouse.ClickHouseTsv;
import dev.scopeflow.schemas.clickhouse.QueryResult;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * One query of {@link NamedQueries}: a name, a one-line description, typed parameters and the SQL it renders.
 * Arguments arrive as text (from {@code --param k=v} or a test) and are checked against the parameters before
 * any SQL exists: an unknown name, a missing required value or a value of the wrong type is an
 * {@link IllegalArgumentException} naming the query and the parameter. Text values reach the SQL only through
 * {@link ClickHouseTsv#quote}, numbers only as parsed Java longs.
 */
public record NamedQuery(String name, String description, List<Parameter> parameters, Template template) {

    /** What a parameter's value may be. */
    public enum Type {
        /** Any text; quoted into the SQL. */
        TEXT("text"),
        /** A signed 64-bit integer (document ids may be negative). */
        INTEGER("integer"),
        /** An integer ≥ 0 (positions, features, counts). */
        NON_NEGATIVE_INTEGER("integer ≥ 0"),
        /** An integer ≥ 0, or {@code all}. */
        FEATURE_OR_ALL("integer ≥ 0 or 'all'");

        public static final String ALL = "all";

        private final String label;

        Type(String label) {
            this.label = label;
        }

        /** How the parameter listing names the type. */
        public String label() {
            return label;
        }

        /** The value as the SQL will carry it, or an {@link IllegalArgumentException} whose message says why not. */
        String check(String value) {
            if (this == TEXT) {
                return value;
            }
            if (this == FEATURE_OR_ALL && value.equals(ALL)) {
                return ALL;
            }
            long number;
            try {
                number = Long.parseLong(value.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("must be an " + label + ", got '" + value + "'");
            }
            if (this != INTEGER && number < 0) {
                throw new IllegalArgumentException("must be an " + label + ", got " + number);
            }
            return Long.toString(number);
        }
    }

    /** A parameter; {@code defaultValue} null means required. */
    public record Parameter(String name, Type type, String defaultValue, String description) {
        public Parameter {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(description, "description");
            if (defaultValue != null) {
                type.check(defaultValue);
            }
        }

        public boolean required() {
            return defaultValue == null;
        }
    }

    /** Renders the SQL from the database and checked arguments. */
    @FunctionalInterface
    public interface Template {
        String render(String database, Arguments arguments);
    }

    /** Checked argument values, readable only in the form the SQL may carry them. */
    public static final class Arguments {
        private final Map<String, String> values;

        private Arguments(Map<String, String> values) {
            this.values = values;
        }

        /** A text argument as a quoted ClickHouse literal. */
        public String quoted(String name) {
            return ClickHouseTsv.quote(value(name));
        }

        public long integer(String name) {
            return Long.parseLong(value(name));
        }

        /** True when a {@link Type#FEATURE_OR_ALL} argument is {@code all}. */
        public boolean isAll(String name) {
            return value(name).equals(Type.ALL);
        }

        private String value(String name) {
            String value = values.get(name);
            if (value == null) {
                throw new IllegalStateException("the SQL reads parameter '" + name + "', which is not declared");
            }
            return value;
        }
    }

    public NamedQuery {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        parameters = List.copyOf(parameters);
        Objects.requireNonNull(template, "template");
    }

    /**
     * Every parameter's checked value: the given one, else its default. Throws {@link IllegalArgumentException}
     * for a name that is not a parameter, a required one not given, or a value not of the parameter's type.
     */
    public Map<String, String> arguments(Map<String, String> given) {
        for (String key : given.keySet()) {
            if (parameters.stream().noneMatch(p -> p.name().equals(key))) {
                throw new IllegalArgumentException(
                        "query '" + name + "' has no parameter '" + key + "'; its parameters: " + parameterNames());
            }
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (Parameter parameter : parameters) {
            String value = given.getOrDefault(parameter.name(), parameter.defaultValue());
            if (value == null) {
                throw new IllegalArgumentException("query '" + name + "' needs parameter '" + parameter.name() + "' ("
                        + parameter.description() + "): add --param " + parameter.name() + "=...");
            }
            try {
                values.put(parameter.name(), parameter.type().check(value));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "parameter '" + parameter.name() + "' of query '" + name + "' " + e.getMessage(), e);
            }
        }
        return values;
    }

    /** The SQL for {@code database} with {@code given} arguments (checked as by {@link #arguments}). */
    public String sql(String database, Map<String, String> given) {
        ClickHouseMigrations.validateDatabase(database);
        return template.render(database, new Arguments(arguments(given)));
    }

    public QueryResult run(ClickHouseHttp clickHouse, String database, Map<String, String> given) {
        return clickHouse.queryTable(sql(database, given));
    }

    private String parameterNames() {
        return parameters.stream().map(Parameter::name).collect(Collectors.joining(", "));
    }
}
