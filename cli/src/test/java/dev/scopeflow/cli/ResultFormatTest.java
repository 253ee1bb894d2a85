package dev.scopeflow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.scopeflow.schemas.clickhouse.QueryResult;
import dev.scopeflow.schemas.format.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResultFormatTest {

    /** Awkward values: a comma, a quote, a tab, a newline, a NULL, a non-finite float, a negative id. */
    private static final QueryResult RESULT = new QueryResult(
            List.of("doc_id", "text", "activation"),
            List.of("Int64", "String", "Nullable(Float32)"),
            List.of(
                    List.of("-3", "a,b \"q\"", "2.5"),
                    Arrays.asList("12", "tab\there\nline", null),
                    List.of("7", "", "inf")));

    @Test
    void tsvIsClickHouseTabSeparatedWithNames() {
        assertThat(print(ResultFormat.TSV))
                .isEqualTo("doc_id\ttext\tactivation\n-3\ta,b \"q\"\t2.5\n12\ttab\\there\\nline\t\\N\n7\t\tinf\n");
    }

    @Test
    void csvQuotesOnlyWhatNeedsIt() {
        assertThat(print(ResultFormat.CSV))
                .isEqualTo("doc_id,text,activation\n-3,\"a,b \"\"q\"\"\",2.5\n12,\"tab\there\nline\",\n7,,inf\n");
    }

    @Test
    void jsonHasNumbersForNumericColumnsAndParsesBack() throws Exception {
        String text = print(ResultFormat.JSON);
        JsonNode rows = Json.parse(text);
        assertThat(rows.size()).isEqualTo(3);
        assertThat(rows.get(0).get("doc_id").isNumber()).isTrue();
        assertThat(rows.get(0).get("doc_id").asLong()).isEqualTo(-3);
        assertThat(rows.get(0).get("text").asText()).isEqualTo("a,b \"q\"");
        assertThat(rows.get(0).get("activation").isNumber()).isTrue();
        assertThat(rows.get(0).get("activation").floatValue()).isEqualTo(2.5f);
        assertThat(rows.get(1).get("text").asText()).isEqualTo("tab\there\nline");
        assertThat(rows.get(1).get("activation").isNull()).isTrue();
        assertThat(rows.get(2).get("activation").asText())
                .as("not a JSON number")
                .isEqualTo("inf");
        assertThat(print(ResultFormat.JSON, new QueryResult(List.of("x"), List.of("UInt8"), List.of())))
                .isEqualTo("[]\n");
    }

    @Test
    void tableAlignsColumnsAndRightAlignsNumbers() {
        QueryResult result = new QueryResult(
                List.of("feature", "name"),
                List.of("UInt32", "String"),
                List.of(List.of("7", "short"), List.of("12345678", "x")));
        assertThat(print(ResultFormat.TABLE, result)).isEqualTo("""
                         feature  name
                        --------  -----
                               7  short
                        12345678  x
                        (2 rows)
                        """);
    }

    @Test
    void formatNamesAreCheckedWithAClearMessage() {
        assertThat(ResultFormat.parse("Json")).isEqualTo(ResultFormat.JSON);
        assertThatThrownBy(() -> ResultFormat.parse("xml")).hasMessageContaining("tsv, table, csv or json");
    }

    private static String print(ResultFormat format) {
        return print(format, RESULT);
    }

    private static String print(ResultFormat format, QueryResult result) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        assertThat(format.print(result, out)).isEqualTo(result.rows().size());
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
