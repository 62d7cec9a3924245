package dev.glimpse.image;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.opencv.global.opencv_imgcodecs;

/**
 * Silences OpenCV's own log lines ("[ WARN:0@0.9] global grfmt_png.cpp ... incomplete"): every
 * failure reaches the user as one {@link ImageException} instead. The JavaCPP presets do not map
 * cv::utils::logging::setLogLevel, so it is called through FFM; if that fails, logging stays on.
 */
final class OpenCvLog {

    private static final String SET_LOG_LEVEL = "_ZN2cv5utils7logging11setLogLevelENS1_8LogLevelE";
    private static final int LOG_LEVEL_SILENT = 0;
    private static boolean done;

    private OpenCvLog() {
    }

    static synchronized void silence() {
        if (done) {
            return;
        }
        done = true;
        Loader.load(opencv_imgcodecs.class);
        try {
            Loader.getLoadedLibraries().entrySet().stream()
                    .filter(e -> e.getKey().startsWith("opencv_core@"))
                    .findFirst()
                    .flatMap(e -> SymbolLookup.libraryLookup(Path.of(e.getValue()), Arena.global()).find(SET_LOG_LEVEL))
                    .ifPresent(symbol -> {
                        MethodHandle setLevel = Linker.nativeLinker().downcallHandle(symbol,
                                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
                        try {
                            int previousLevel = (int) setLevel.invokeExact(LOG_LEVEL_SILENT);
                        } catch (Throwable t) {
                            // logging stays as it was: noisy but harmless
                        }
                    });
        } catch (RuntimeException e) {
            // same: only the log lines are at stake
        }
    }
}
