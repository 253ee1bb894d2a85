package dev.scopeflow.producers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.ActivationDtype;
import dev.scopeflow.schemas.GemmaTokens;
import dev.scopeflow.schemas.Site;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SyntheticActivationsTest {

    private static final int SEQ_LEN = 40;

    private final SyntheticActivations source =
            new SyntheticActivations("run", "m", Site.parse("res.6"), 8, ActivationDtype.BF16, 3);

    @Test
    void paddedDocumentsEndWithEosThenPadLikeARightPaddedTokenizerBatch() {
        Map<Long, List<Integer>> tokens = tokensByDoc(source.paddedDocuments(0, 48, SEQ_LEN, 16));
        int padded = 0;
        int cut = 0;
        for (Map.Entry<Long, List<Integer>> doc : tokens.entrySet()) {
            List<Integer> ids = doc.getValue();
            assertThat(ids).as("doc %d", doc.getKey()).hasSize(SEQ_LEN).startsWith(GemmaTokens.BOS);
            int eos = ids.indexOf(GemmaTokens.EOS);
            if (eos < 0) {
                cut++;
                assertThat(ids.subList(1, SEQ_LEN))
                        .as("doc %d, cut at the window", doc.getKey())
                        .allMatch(id -> id > GemmaTokens.BOS);
                continue;
            }
            padded++;
            assertThat(eos)
                    .as("EOS of doc %d after at least half a window of text", doc.getKey())
                    .isBetween(SEQ_LEN / 2, SEQ_LEN - 1);
            assertThat(ids.subList(1, eos)).allMatch(id -> id > GemmaTokens.BOS);
            assertThat(ids.subList(eos + 1, SEQ_LEN))
                    .as("doc %d after EOS", doc.getKey())
                    .allMatch(id -> id == GemmaTokens.PAD);
        }
        assertThat(padded).as("documents ending with EOS").isGreaterThan(10);
        assertThat(cut).as("documents filling the window").isPositive();
        assertThat(tokens.values().stream().flatMap(List::stream).filter(id -> id == GemmaTokens.PAD))
                .as("PAD rows")
                .hasSizeGreaterThan(48);
    }

    @Test
    void documentsHaveOnlyBosAsSpecialTokenAndEveryBatchIsReproducible() {
        Map<Long, List<Integer>> tokens = tokensByDoc(source.documents(0, 48, SEQ_LEN, 16));
        for (List<Integer> ids : tokens.values()) {
            assertThat(ids).hasSize(SEQ_LEN).startsWith(GemmaTokens.BOS);
            assertThat(ids.subList(1, SEQ_LEN)).allMatch(id -> id > GemmaTokens.BOS);
        }
        List<ActivationBatch> again = source.paddedDocuments(0, 48, SEQ_LEN, 16);
        List<ActivationBatch> first = source.paddedDocuments(0, 48, SEQ_LEN, 16);
        assertThat(again).hasSameSizeAs(first);
        for (int i = 0; i < first.size(); i++) {
            assertThat(again.get(i).values()).isEqualTo(first.get(i).values());
            assertThat(tokenIds(again.get(i))).isEqualTo(tokenIds(first.get(i)));
        }
        // A document regenerated alone equals its copy in the whole set.
        assertThat(tokenIds(source.paddedDocuments(7, 1, SEQ_LEN, 16).get(2)))
                .isEqualTo(tokenIds(first.get(7 * 3 + 2)));
    }

    private static Map<Long, List<Integer>> tokensByDoc(List<ActivationBatch> batches) {
        Map<Long, List<Integer>> byDoc = new LinkedHashMap<>();
        for (ActivationBatch batch : batches) {
            for (int r = 0; r < batch.rows(); r++) {
                List<Integer> ids = byDoc.computeIfAbsent(batch.docId(r), d -> new ArrayList<>());
                assertThat(batch.position(r)).isEqualTo(ids.size());
                ids.add(batch.tokenId(r));
            }
        }
        return byDoc;
    }

    private static List<Integer> tokenIds(ActivationBatch batch) {
        List<Integer> ids = new ArrayList<>();
        for (int r = 0; r < batch.rows(); r++) {
            ids.add(batch.tokenId(r));
        }
        return ids;
    }
}
