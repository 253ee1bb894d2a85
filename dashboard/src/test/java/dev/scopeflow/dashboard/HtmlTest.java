package dev.scopeflow.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HtmlTest {

    @Test
    void escapesMarkupAndBothQuoteKinds() {
        assertThat(Html.escape("<script>alert('x' & \"y\")</script>"))
                .isEqualTo("&lt;script&gt;alert(&#39;x&#39; &amp; &quot;y&quot;)&lt;/script&gt;");
    }

    @Test
    void escapingIsNotIdempotentByAccident() {
        assertThat(Html.escape("&lt;")).isEqualTo("&amp;lt;");
    }

    @Test
    void replacesControlCharactersButKeepsTabsNewlinesAndUnicode() {
        assertThat(Html.escape("a\u0000b\u001bc\td\ne ▁Paris")).isEqualTo("a\uFFFDb\uFFFDc\td\ne ▁Paris");
        assertThat(Html.escape(null)).isEmpty();
    }

    @Test
    void urlParametersArePercentEncoded() {
        assertThat(Html.urlParam("a&b=c <d>")).isEqualTo("a%26b%3Dc+%3Cd%3E");
    }

    @Test
    void numbersHaveSixSignificantDigits() {
        assertThat(Html.number(0.123456789)).isEqualTo("0.123457");
        assertThat(Html.number(1234567.0)).isEqualTo("1.23457e+06");
        assertThat(Html.number(Double.NaN)).isEqualTo("NaN");
        assertThat(Html.number(Double.POSITIVE_INFINITY)).isEqualTo("∞");
    }
}
