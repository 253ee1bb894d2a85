package dev.scopeflow.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CorpusDocumentTest {

    @Test
    void roundTripsTextWithQuotesControlsAndAstralCharacters() {
        String text = "The City\t\"of\" Light\n\\ é 😀 \u0000end";
        CorpusDocument doc = new CorpusDocument("run-1", Long.MAX_VALUE, text, "corpus.jsonl:7");
        CorpusDocument back = CorpusDocument.fromJson(doc.toJson());
        assertThat(back).isEqualTo(doc);
        assertThat(back.text()).isEqualTo(text);
    }

    @Test
    void theWireFormatHasTheDocumentedFieldNames() {
        String json = new String(new CorpusDocument("r", 3, "x", "c.txt:4").toJson(), StandardCharsets.UTF_8);
        assertThat(json).isEqualTo("{\"run_id\":\"r\",\"doc_id\":3,\"text\":\"x\",\"source\":\"c.txt:4\"}");
    }

    @Test
    void malformedRecordsNameTheField() {
        assertThatThrownBy(() -> read("not json")).hasMessageStartingWith("corpus record is not JSON");
        assertThatThrownBy(() -> read("[1]")).hasMessage("corpus record is not a JSON object");
        assertThatThrownBy(() -> read("{\"doc_id\":1,\"text\":\"t\",\"source\":\"s\"}"))
                .hasMessage("corpus record has no run_id");
        assertThatThrownBy(() -> read("{\"run_id\":\"r\",\"text\":\"t\",\"source\":\"s\"}"))
                .hasMessage("corpus record has no doc_id");
        assertThatThrownBy(() -> read("{\"run_id\":\"r\",\"doc_id\":1.5,\"text\":\"t\",\"source\":\"s\"}"))
                .hasMessage("corpus record doc_id is not an integer: 1.5");
        assertThatThrownBy(() -> read("{\"run_id\":\"r\",\"doc_id\":\"1\",\"text\":\"t\",\"source\":\"s\"}"))
                .hasMessage("corpus record doc_id is not an integer: \"1\"");
        assertThatThrownBy(() -> read("{\"run_id\":\"r\",\"doc_id\":1,\"source\":\"s\"}"))
                .hasMessage("corpus record has no text");
        assertThatThrownBy(() -> read("{\"run_id\":\"r\",\"doc_id\":1,\"text\":7,\"source\":\"s\"}"))
                .hasMessage("corpus record text is not a string: 7");
        assertThatThrownBy(() -> read("{\"run_id\":\"r\",\"doc_id\":1,\"text\":\"t\",\"source\":null}"))
                .hasMessage("corpus record has no source");
        assertThatThrownBy(() -> read("{\"run_id\":\"r\",\"doc_id\":-1,\"text\":\"t\",\"source\":\"s\"}"))
                .hasMessage("corpus record: corpus document id must be >= 0, got -1");
        assertThatThrownBy(() -> read("{\"run_id\":\"a b\",\"doc_id\":1,\"text\":\"t\",\"source\":\"s\"}"))
                .hasMessageStartingWith("corpus record: run id 'a b'");
    }

    private static CorpusDocument read(String json) {
        return CorpusDocument.fromJson(json.getBytes(StandardCharsets.UTF_8));
    }
}
