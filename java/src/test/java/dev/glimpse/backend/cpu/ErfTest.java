package dev.glimpse.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Erf against values computed with mpmath at 30 digits; tolerance 1e-12 relative (the brief asks 1e-7). */
class ErfTest {

    @ParameterizedTest
    @CsvSource({
        "0.0, 0.0",
        "0.001, 0.0011283787909692364",
        "0.1, 0.1124629160182849",
        "0.5, 0.52049987781304654",
        "1.0, 0.84270079294971487",
        "-1.5, -0.96610514647531073",
        "2.0, 0.99532226501895273",
        "3.0, 0.99997790950300141",
    })
    void erfAtKnownPoints(double x, double expected) {
        assertEquals(expected, Erf.erf(x), 1e-12 * Math.abs(expected));
    }

    @ParameterizedTest
    @CsvSource({
        "-2.0, 1.9953222650189527",
        "2.5, 0.00040695201744495894",
        "5.0, 1.5374597944280349e-12",
        "10.0, 2.0884875837625448e-45",
    })
    void erfcAtKnownPointsIsRelativelyAccurate(double x, double expected) {
        assertEquals(expected, Erf.erfc(x), 1e-12 * Math.abs(expected));
    }
}
