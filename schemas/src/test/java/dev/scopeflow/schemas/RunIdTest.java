package dev.scopeflow.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RunIdTest {

    @ParameterizedTest
    @ValueSource(strings = {"a", "demo-20240102-030405", "run_1.v2", "A-Z.0_9"})
    void acceptsLettersDigitsDotUnderscoreAndDash(String runId) {
        assertThat(RunId.validate(runId)).isEqualTo(runId);
    }

    @Test
    void acceptsTheLongestAllowedId() {
        String longest = "r".repeat(RunId.MAX_LENGTH);
        assertThat(RunId.validate(longest)).isEqualTo(longest);
    }

    @ParameterizedTest
    @ValueSource(strings = {"my run/1", "a b", "x/y", "quote'", "semi;colon", "ümlaut", "tab\t", "a\u202Eb", "١٢"})
    void rejectsEverythingElseNamingTheId(String runId) {
        assertThatThrownBy(() -> RunId.validate(runId))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("run id '" + runId + "'");
    }

    @Test
    void rejectsEmptyMissingAndOverlongIds() {
        assertThatThrownBy(() -> RunId.validate("")).hasMessageContaining("required");
        assertThatThrownBy(() -> RunId.validate(null)).hasMessageContaining("required");
        assertThatThrownBy(() -> RunId.validate("r".repeat(RunId.MAX_LENGTH + 1)))
                .hasMessageContaining("1 to " + RunId.MAX_LENGTH);
    }
}
