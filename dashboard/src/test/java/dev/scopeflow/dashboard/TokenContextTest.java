package dev.scopeflow.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.schemas.results.ResultsReader.ContextWindow;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TokenContextTest {

    private static final List<Integer> WINDOW =
            IntStream.range(100, 130).boxed().toList(); // positions 50..79

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

    @Test
    void bestPicksTheWindowWithTheMostRoomAroundThePosition() {
        // Position 75: 25 into the first window (5 from its end), 5 into the second (25 from its end).
        ContextWindow first = new ContextWindow(50, WINDOW);
        ContextWindow second =
                new ContextWindow(70, IntStream.range(200, 230).boxed().toList());
        assertThat(TokenContext.best(List.of(first, second), 75, 8))
                .get()
                .isEqualTo(TokenContext.around(second.tokenIds(), 70, 75, 8));
        assertThat(TokenContext.best(List.of(second, first), 75, 8).get().token())
                .isEqualTo(205);
        assertThat(TokenContext.best(List.of(first, second), 52, 8).get().token())
                .isEqualTo(102); // only the first
        assertThat(TokenContext.best(List.of(first, second), 100, 8)).isEmpty();
        assertThat(TokenContext.best(List.of(), 60, 8)).isEmpty();
    }
}
