package dev.scopeflow.dashboard;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class TokenContextTest {

    private static final List<Integer> WINDOW = IntStream.range(100, 130).boxed().toList(); // positions 50..79

    @Test
    void takesRadiusTokensOnEachSide() {
        TokenContext c = TokenContext.around(WINDOW, 50, 60, 8);
        assertThat(c.token()).isEqualTo(110);
        assertThat(c.before()).containsExactly(102, 103, 104, 105, 106, 107, 108, 109);
        assertThat(c.after()).containsExactly(111, 112, 113, 114, 115, 116, 117, 118);
    }

    @Test
    void clipsAtWindowEdgesAndRejectsPositionsOutside() {
        TokenContext start = TokenContext.around(WINDOW, 50, 52, 8);
        assertThat(start.before()).containsExactly(100, 101);
        TokenContext end = TokenContext.around(WINDOW, 50, 79, 8);
        assertThat(end.after()).isEmpty();
        assertThat(end.token()).isEqualTo(129);
        assertThat(TokenContext.around(WINDOW, 50, 49, 8)).isNull();
        assertThat(TokenContext.around(WINDOW, 50, 80, 8)).isNull();
        assertThat(TokenContext.margin(30, 50, 52)).isEqualTo(2);
        assertThat(TokenContext.margin(30, 50, 77)).isEqualTo(2);
    }
}
