package dev.scopeflow.producers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.ActivationDtype;
import dev.scopeflow.schemas.GemmaTokens;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.format.HalfFloats;
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

    @Test
    void givenTokensKeepTheirIdsAndPositionsInBatchesOfOneDocument() {
        int[] positions = {5, 6, 7, 8, 9, 10, 11};
        int[] tokenIds = {651, GemmaTokens.BOS, 3922, 576, 8186, 603, 7127};
        List<ActivationBatch> batches = source.tokens(4, positions, tokenIds, 3);

        assertThat(batches).extracting(ActivationBatch::rows).containsExactly(3, 3, 1);
        List<Integer> gotPositions = new ArrayList<>();
        List<Integer> gotTokens = new ArrayList<>();
        double bosNorm = 0;
        double textNorm = 0;
        for (ActivationBatch batch : batches) {
            assertThat(batch.width()).isEqualTo(8);
            assertThat(batch.dtype()).isEqualTo(ActivationDtype.BF16);
            for (int r = 0; r < batch.rows(); r++) {
                assertThat(batch.docId(r)).isEqualTo(4);
                gotPositions.add(batch.position(r));
                gotTokens.add(batch.tokenId(r));
                double norm = 0;
                for (int d = 0; d < 8; d++) {
                    float v = batch.values()[r * 8 + d];
                    assertThat(HalfFloats.roundToBf16(v)).as("already bf16").isEqualTo(v);
                    norm += v * v;
                }
                if (batch.tokenId(r) == GemmaTokens.BOS) {
                    bosNorm = norm;
                } else {
                    textNorm = Math.max(textNorm, norm);
                }
            }
        }
        assertThat(gotPositions).containsExactly(5, 6, 7, 8, 9, 10, 11);
        assertThat(gotTokens).containsExactly(651, GemmaTokens.BOS, 3922, 576, 8186, 603, 7127);
        assertThat(bosNorm).as("BOS scaled up like documents' BOS").isGreaterThan(textNorm);
        List<ActivationBatch> again = source.tokens(4, positions, tokenIds, 3);
        for (int i = 0; i < batches.size(); i++) {
            assertThat(again.get(i).values()).isEqualTo(batches.get(i).values());
        }
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
