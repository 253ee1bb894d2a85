package dev.scopeflow.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TopicNamesTest {

    @Test
    void defaultNames() {
        TopicNames topics = TopicNames.defaults();
        assertThat(topics.activations()).isEqualTo("scopeflow.activations.v1");
        assertThat(topics.documents()).isEqualTo("scopeflow.documents.v1");
        assertThat(topics.corpus()).isEqualTo("scopeflow.corpus.v1");
        assertThat(topics.deadLetter()).isEqualTo("scopeflow.dead-letter.v1");
        assertThat(TopicNames.withPrefix("scopeflow")).isEqualTo(topics);
    }

    @Test
    void customPrefix() {
        assertThat(TopicNames.withPrefix("ci-42_x.y").activations()).isEqualTo("ci-42_x.y.activations.v1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "with space", "slash/", "ümlaut", ".lead", "trail.", "colon:"})
    void rejectsIllegalPrefixes(String prefix) {
        assertThatThrownBy(() -> TopicNames.withPrefix(prefix))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("topic prefix '" + prefix + "'");
    }

    @Test
    void rejectsPrefixThatMakesTopicsTooLong() {
        assertThatThrownBy(() -> TopicNames.withPrefix("a".repeat(240)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("249");
    }

    @Test
    void docKeyIsBigEndianLong() {
        assertThat(TopicNames.docKey(0x0102030405060708L)).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
        assertThat(TopicNames.docKey(-1L)).containsOnly(0xFF);
        for (long id : new long[] {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, 123456789012345L}) {
            assertThat(TopicNames.docIdFromKey(TopicNames.docKey(id))).isEqualTo(id);
        }
        assertThatThrownBy(() -> TopicNames.docIdFromKey(new byte[4])).hasMessageContaining("8 bytes");
    }
}
