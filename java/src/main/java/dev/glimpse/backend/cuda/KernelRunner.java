package dev.glimpse.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Launches a kernel of cuda/ by name: on the GPU through cuLaunchKernel, in tests through the CPU
 * shim. Arguments are MemorySegment (a device pointer: only its address is passed), Integer, Long
 * or Float, in the kernel's parameter order; both runners pack them the same way.
 */
public interface KernelRunner {

    void launch(String kernel, Launch launch, Object... args);

    /** The void*[] array cuLaunchKernel takes, each slot pointing at an 8-byte value slot. */
    final class Arguments {
        private static final int MAX = 24;
        private final MemorySegment pointers;
        private final MemorySegment values;

        public Arguments(Arena arena) {
            pointers = arena.allocate(ValueLayout.ADDRESS, MAX);
            values = arena.allocate(ValueLayout.JAVA_LONG, MAX);
            for (int i = 0; i < MAX; i++) {
                pointers.setAtIndex(ValueLayout.ADDRESS, i, values.asSlice(8L * i, 8));
            }
        }

        /** Writes args into the slots and returns the pointer array (valid until the next pack). */
        public MemorySegment pack(String kernel, Object... args) {
            if (args.length > MAX) {
                throw new IllegalArgumentException(kernel + ": " + args.length + " arguments, at most " + MAX);
            }
            for (int i = 0; i < args.length; i++) {
                long offset = 8L * i;
                switch (args[i]) {
                    case MemorySegment pointer -> values.set(ValueLayout.JAVA_LONG, offset, pointer.address());
                    case Integer v -> values.set(ValueLayout.JAVA_INT, offset, v);
                    case Long v -> values.set(ValueLayout.JAVA_LONG, offset, v);
                    case Float v -> values.set(ValueLayout.JAVA_FLOAT, offset, v);
                    case null -> throw new IllegalArgumentException(kernel + ": argument " + i + " is null (use MemorySegment.NULL)");
                    default -> throw new IllegalArgumentException(kernel + ": argument " + i + " has unsupported type "
                            + args[i].getClass().getSimpleName());
                }
            }
            return pointers;
        }
    }
}
