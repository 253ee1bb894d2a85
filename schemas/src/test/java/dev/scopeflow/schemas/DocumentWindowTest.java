package dev.scopeflow.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DocumentWindowTest {

    @Test
    void firstWindowRoundTripsWithTextAndSource() {
        DocumentWindow w = new DocumentWindow(
                "run-1", 42L, 0, 0, new int[] {2, 651, 3922}, "The City\t\"of\" Light", "corpus.jsonl:7", true);
        DocumentWindow back = DocumentWindow.fromJson(w.toJson());
        assertThat(back.runId()).isEqualTo("run-1");
        assertThat(back.docId()).isEqualTo(42L);
        assertThat(back.window()).isZero();
        assertThat(back.firstPosition()).isZero();
        assertThat(back.tokenIds()).containsExactly(2, 651, 3922);
        assertThat(back.text()).isEqualTo("The City\t\"of\" Light");
        assertThat(back.source()).isEqualTo("corpus.jsonl:7");
        assertThat(back.textTruncated()).isTrue();
    }

    @Test
    void laterWindowsCarryNoText() {
        DocumentWindow w = new DocumentWindow("r", Long.MAX_VALUE, 3, 3069, new int[] {2, 5}, null, null, false);
        String json = new String(w.toJson(), StandardCharsets.UTF_8);
        assertThat(json).doesNotContain("text").doesNotContain("source");
        DocumentWindow back = DocumentWindow.fromJson(w.toJson());
        assertThat(back.docId()).isEqualTo(Long.MAX_VALUE);
        assertThat(back.firstPosition()).isEqualTo(3069);
        assertThat(back.text()).isNull();
    }

    @Test
    void malformedRecordsNameWhatIsWrong() {
        assertThatThrownBy(() -> DocumentWindow.fromJson("not json".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not JSON");
        assertThatThrownBy(() -> DocumentWindow.fromJson("[1,2]".getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("not a JSON object");
        assertThatThrownBy(() ->
                        DocumentWindow.fromJson("{\"run_id\":\"r\",\"doc_id\":1,\"window\":0,\"first_position\":0}"
                                .getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("no token_ids");
        assertThatThrownBy(() ->
                        DocumentWindow.fromJson("{\"doc_id\":1,\"window\":0,\"first_position\":0,\"token_ids\":[1]}"
                                .getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("no run_id");
        assertThatThrownBy(() -> DocumentWindow.fromJson(("{\"run_id\":\"r\",\"doc_id\":1,\"window\":0,"
                                + "\"first_position\":0,\"token_ids\":[1,\"x\"]}")
                        .getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("token_ids[1]");
    }
}
