package dev.scopeflow.producers.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ContextWindowsTest {

    @Test
    void everyDocumentTokenLandsInExactlyOneWindowAndEveryWindowStartsWithBos() {
        int[] doc = new int[11];
        doc[0] = 2;
        for (int i = 1; i < doc.length; i++) {
            doc[i] = 100 + i;
        }
        List<ContextWindows.Window> windows = new ContextWindows(4, 2).split(doc);
        assertThat(windows).hasSize(4); // 4 + 3 + 3 + 1 document tokens
        assertThat(windows.get(0).tokens()).containsExactly(2, 101, 102, 103);
        assertThat(windows.get(1).tokens()).containsExactly(2, 104, 105, 106);
        assertThat(windows.get(3).tokens()).containsExactly(2, 110);
        int[] seen = new int[doc.length];
        for (ContextWindows.Window w : windows) {
            assertThat(w.tokens()[0]).isEqualTo(2);
            assertThat(w.tokens().length).isLessThanOrEqualTo(4);
            for (int i = 0; i < w.tokens().length; i++) {
                int position = w.documentPosition(i);
                if (position >= 0) {
                    assertThat(w.tokens()[i]).isEqualTo(doc[position]);
                    seen[position]++;
                }
            }
        }
        assertThat(seen).containsOnly(1);
    }

    @Test
    void shortDocumentIsOneWindow() {
        assertThat(new ContextWindows(1024, 2).split(new int[] {2, 7}))
                .singleElement()
                .satisfies(w -> assertThat(w.prependedBos()).isFalse());
    }

    @Test
    void rejectsDocumentsWithoutBosAndTinyContexts() {
        assertThatThrownBy(() -> new ContextWindows(4, 2).split(new int[] {7})).hasMessageContaining("BOS");
        assertThatThrownBy(() -> new ContextWindows(1, 2)).hasMessageContaining(">= 2");
    }
}
