package dev.glimpse.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs cuda/ kernels on the CPU through libglimpse_shim.so (built by cmake/ during the Maven build),
 * with exactly the geometry and arguments {@link CudaKernels} computes.
 */
final class ShimRunner implements KernelRunner {

    static final Path LIBRARY = Path.of("target/cuda/libglimpse_shim.so");
    private static MethodHandle launch;

    private final Arena arena = Arena.ofAuto();
    private final Arguments arguments = new Arguments(arena);

    /** The runner, or the test is skipped (with the reason) when the shim was not built. */
    static ShimRunner load() {
        Assumptions.assumeTrue(Files.exists(LIBRARY),
                "CUDA shim not built (" + LIBRARY.toAbsolutePath() + " missing: cmake or a C++ compiler was absent)");
        synchronized (ShimRunner.class) {
            if (launch == null) {
                SymbolLookup library = SymbolLookup.libraryLookup(LIBRARY.toAbsolutePath(), Arena.global());
                launch = Linker.nativeLinker().downcallHandle(library.find("glimpse_shim_launch").orElseThrow(),
                        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                                JAVA_INT, JAVA_INT, ADDRESS));
            }
        }
        return new ShimRunner();
    }

    @Override
    public void launch(String kernel, Launch l, Object... args) {
        try (Arena scratch = Arena.ofConfined()) {
            int result = (int) launch.invokeExact(scratch.allocateFrom(kernel), l.gridX(), l.gridY(), l.gridZ(),
                    l.blockX(), 1, 1, l.sharedBytes(), arguments.pack(kernel, args));
            if (result != 0) {
                throw new IllegalStateException("shim refused " + kernel + " " + l + ": code " + result);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
