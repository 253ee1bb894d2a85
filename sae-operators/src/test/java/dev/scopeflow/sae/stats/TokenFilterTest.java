package dev.scopeflow.sae.stats;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.ActivationDtype;
import dev.scopeflow.schemas.Site;
import org.junit.jupiter.api.Test;

class TokenFilterTest {

    @Test
    void gemmaDefaultDropsBosPadAndEos() {
        Site site = new Site(Site.Kind.RES, 20);
        ActivationBatch batch = batch(site, new int[] {2, 651, 3922, 0, 1, 576});
        assertThat(TokenFilter.gemmaDefault().countedRows(batch)).containsExactly(1, 2, 5);
        assertThat(TokenFilter.all().countedRows(batch)).containsExactly(0, 1, 2, 3, 4, 5);
        assertThat(TokenFilter.excluding(651).counts(651)).isFalse();
        assertThat(TokenFilter.excluding(651).counts(2)).isTrue();
    }

    private static ActivationBatch batch(Site site, int[] tokens) {
        int rows = tokens.length;
        return new ActivationBatch(
                "run",
                "gemma-2-2b",
                site,
                2,
                ActivationDtype.F32,
                new long[rows],
                new int[rows],
                tokens,
                new float[rows * 2]);
    }
}
