package dev.scopeflow.schemas.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ClickHouseTsvTest {

    private static final List<String> AWKWARD = List.of(
            "",
            "plain",
            "tab\there",
            "new\nline",
            "cr\rlf\r\n",
            "back\\slash",
            "trailing\\",
            "quote'single",
            "quote\"double",
            "nul\0byte",
            "bell\b\f",
            "ünïcødé ✓ 😀",
            "\\t literal backslash-t",
            "\\N",
            "[not,array]");

    @Test
    void escapedFieldsHaveNoRawSeparatorsAndRoundTrip() {
        for (String value : AWKWARD) {
            String field = ClickHouseTsv.escape(value);
            assertThat(field).doesNotContain("\t", "\n", "\r", "\0");
            assertThat(ClickHouseTsv.unescape(field)).isEqualTo(value);
        }
    }

    @Test
    void escapesLikeClickHouse() {
        assertThat(ClickHouseTsv.escape("a\tb\nc\\d'e")).isEqualTo("a\\tb\\nc\\\\d'e");
        assertThat(ClickHouseTsv.quote("it's a\\b\t")).isEqualTo("'it\\'s a\\\\b\\t'");
        // What ClickHouse itself writes: quotes escaped, \xHH for other bytes.
        assertThat(ClickHouseTsv.unescape("it\\'s\\x41\\a\\v")).isEqualTo("it'sA\u0007\u000B");
    }

    @Test
    void randomStringsRoundTrip() {
        SplittableRandom random = new SplittableRandom(3);
        char[] alphabet = "ab\\\t\n\r'\"\0\b\f xN[],ü😀".toCharArray();
        for (int n = 0; n < 2000; n++) {
            char[] chars = new char[random.nextInt(12)];
            for (int i = 0; i < chars.length; i++) {
                chars[i] = alphabet[random.nextInt(alphabet.length)];
            }
            String value = new String(chars);
            assertThat(ClickHouseTsv.unescape(ClickHouseTsv.escape(value))).isEqualTo(value);
            assertThat(ClickHouseTsv.parseArray("[" + ClickHouseTsv.quote(value) + "]"))
                    .containsExactly(value);
        }
    }

    @Test
    void formatsScalars() {
        assertThat(ClickHouseTsv.format(null)).isEqualTo("\\N");
        assertThat(ClickHouseTsv.format(42)).isEqualTo("42");
        assertThat(ClickHouseTsv.format(-7L)).isEqualTo("-7");
        assertThat(ClickHouseTsv.format(new BigDecimal("1E+3"))).isEqualTo("1000");
        assertThat(ClickHouseTsv.format(true)).isEqualTo("1");
        assertThat(ClickHouseTsv.format(0.1f)).isEqualTo("0.1");
        assertThat(ClickHouseTsv.format(1e10f)).isEqualTo("1.0E10");
        assertThat(ClickHouseTsv.format(1.0 / 3)).isEqualTo(Double.toString(1.0 / 3));
        assertThat(ClickHouseTsv.format(Double.NaN)).isEqualTo("nan");
        assertThat(ClickHouseTsv.format(Float.NEGATIVE_INFINITY)).isEqualTo("-inf");
        assertThat(ClickHouseTsv.format(Double.POSITIVE_INFINITY)).isEqualTo("inf");
        assertThat(ClickHouseTsv.format(Instant.parse("2024-02-29T23:59:58.999Z")))
                .isEqualTo("2024-02-29 23:59:58");
        assertThat(ClickHouseTsv.format(LocalDateTime.parse("2001-02-03T04:05:06")))
                .isEqualTo("2001-02-03 04:05:06");
        assertThatThrownBy(() -> ClickHouseTsv.format(new Object()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("java.lang.Object");
    }

    @Test
    void parsesDateTimesAsUtc() {
        assertThat(ClickHouseTsv.parseDateTime("2024-02-29 23:59:58")).isEqualTo(Instant.parse("2024-02-29T23:59:58Z"));
        assertThat(ClickHouseTsv.parseDateTime("1970-01-01 00:00:00")).isEqualTo(Instant.EPOCH);
    }

    @Test
    void parsesFloatsAsFormatWritesThem() {
        for (double value :
                new double[] {0.0, -2.5, 1e-45, Float.MAX_VALUE, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            assertThat(ClickHouseTsv.parseReal(ClickHouseTsv.format(value))).isEqualTo(value);
        }
        assertThat(ClickHouseTsv.parseReal(ClickHouseTsv.format(Float.NaN))).isNaN();
        assertThat(ClickHouseTsv.parseReal("-nan")).isNaN();
        assertThat(ClickHouseTsv.parseReal("+inf")).isEqualTo(Double.POSITIVE_INFINITY);
    }

    @Test
    void formatsArraysAsQuotedLiterals() {
        assertThat(ClickHouseTsv.format(List.of("a", "b'c", "t\tn\n"))).isEqualTo("['a','b\\'c','t\\tn\\n']");
        assertThat(ClickHouseTsv.format(new int[] {1, 2})).isEqualTo("[1,2]");
        assertThat(ClickHouseTsv.format(new float[] {0.5f, Float.NaN})).isEqualTo("[0.5,nan]");
        assertThat(ClickHouseTsv.format(List.of())).isEqualTo("[]");
        assertThat(ClickHouseTsv.format(Arrays.asList("x", null))).isEqualTo("['x',NULL]");
        assertThat(ClickHouseTsv.format(List.of(List.of(1), List.of(2, 3)))).isEqualTo("[[1],[2,3]]");
        assertThat(ClickHouseTsv.format(List.of(Instant.EPOCH))).isEqualTo("['1970-01-01 00:00:00']");
        assertThat(ClickHouseTsv.format(List.of("x"))).doesNotContain("\t", "\n");
    }

    @Test
    void parsesArrayLiterals() {
        assertThat(ClickHouseTsv.parseArray("[]")).isEmpty();
        assertThat(ClickHouseTsv.parseArray("['p\\tq','r\\\\s','it\\'s','a,b']"))
                .containsExactly("p\tq", "r\\s", "it's", "a,b");
        assertThat(ClickHouseTsv.parseArray("[1,2.5,-3]")).containsExactly("1", "2.5", "-3");
        assertThat(ClickHouseTsv.parseArray("[[1,2],[3]]")).containsExactly("[1,2]", "[3]");
        assertThat(ClickHouseTsv.parseArray("[NULL,'x']")).containsExactly(null, "x");
        assertThatThrownBy(() -> ClickHouseTsv.parseArray("1,2")).hasMessageContaining("not an array literal");
    }
}
