package dev.scopeflow.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class WindowEvaluationTest {

    private static final DownstreamSums AWKWARD = new DownstreamSums(
            1023, 0.1 + 0.2, Math.nextUp(2345.678901234567), Double.MIN_NORMAL * 3, 1e-300, 7.0 / 3.0);

    @Test
    void roundTripsEverySumBitForBit() {
        WindowEvaluation w = new WindowEvaluation(
                "run-1",
                Long.MAX_VALUE,
                7,
                List.of(
                        new WindowEvaluation.Entry("l20/16k", Site.parse("res.20"), AWKWARD),
                        new WindowEvaluation.Entry("a3", Site.parse("att.3"), DownstreamSums.EMPTY)));
        WindowEvaluation back = WindowEvaluation.fromJson(w.toJson());
        assertThat(back).isEqualTo(w); // records compare doubles bit for bit (Double.compare)
        assertThat(back.saes().get(0).sums().sumCeClean()).isEqualTo(0.1 + 0.2);
    }

    @Test
    void refusesWhatAJobCouldNotAdd() {
        DownstreamSums nan = new DownstreamSums(3, 1, Double.NaN, 1, 1, 1);
        assertThatThrownBy(() -> one("r", "s", nan))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("window 2 of document 5, SAE 's': sum_ce_sae is NaN");
        assertThatThrownBy(() -> new WindowEvaluation("r", 5, 2, List.of())).hasMessageContaining("no SAE evaluated");
        assertThatThrownBy(() -> new WindowEvaluation(
                        "r",
                        5,
                        2,
                        List.of(
                                new WindowEvaluation.Entry("s", Site.parse("res.1"), AWKWARD),
                                new WindowEvaluation.Entry("s", Site.parse("res.2"), AWKWARD))))
                .hasMessageContaining("SAE 's' appears twice");
        assertThatThrownBy(() -> one("bad run", "s", AWKWARD)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void malformedRecordsNameTheField() {
        String good = new String(one("r", "s", AWKWARD).toJson(), StandardCharsets.UTF_8);
        assertThat(decodeError("not json")).startsWith("evaluation record is not JSON");
        assertThat(decodeError("[1]")).isEqualTo("evaluation record is not a JSON object");
        assertThat(decodeError(good.replace("\"saes\"", "\"x\""))).isEqualTo("evaluation record has no saes array");
        assertThat(decodeError(good.replace("\"sum_kl_zero\"", "\"x\"")))
                .isEqualTo("evaluation record has no saes[0].sum_kl_zero");
        assertThat(decodeError(good.replace("\"n_predictions\":1023", "\"n_predictions\":1.5")))
                .isEqualTo("evaluation record saes[0].n_predictions is not an integer: 1.5");
        assertThat(decodeError(good.replace("\"n_predictions\":1023", "\"n_predictions\":-1")))
                .contains("nPredictions must be >= 0");
        assertThat(decodeError(good.replace("\"sum_ce_clean\":", "\"sum_ce_clean\":\"x\",\"y\":")))
                .isEqualTo("evaluation record saes[0].sum_ce_clean is not a number: \"x\"");
        assertThat(decodeError(good.replace("\"res.1\"", "\"resid.1\""))).startsWith("evaluation record saes[0].site:");
        assertThat(decodeError(good.replace("\"doc_id\":5", "\"doc_id\":\"5\"")))
                .isEqualTo("evaluation record doc_id is not an integer: \"5\"");
        assertThat(decodeError(good.replace("\"window\":2", "\"window\":4294967296")))
                .startsWith("evaluation record window is out of range");
    }

    private static WindowEvaluation one(String run, String sae, DownstreamSums sums) {
        return new WindowEvaluation(run, 5, 2, List.of(new WindowEvaluation.Entry(sae, Site.parse("res.1"), sums)));
    }

    private static String decodeError(String json) {
        try {
            WindowEvaluation.fromJson(json.getBytes(StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        throw new AssertionError("decoded: " + json);
    }
}
