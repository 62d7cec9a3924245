package dev.glimpse.backend.cuda;

/**
 * The launch geometry of one kernel: grid and block sizes and dynamic shared memory in bytes (above
 * {@link #DEFAULT_SHARED_BYTES} the GPU launcher opts the kernel in first).
 */
public record Launch(int gridX, int gridY, int gridZ, int blockX, int sharedBytes) {

    /** Dynamic shared memory a launch may ask for without opting in (cuFuncSetAttribute). */
    public static final int DEFAULT_SHARED_BYTES = 48 * 1024;
    /** The most any supported GPU gives one block (sm_90: 227 KiB; the launcher checks the device's own limit). */
    public static final int MAX_SHARED_BYTES = 227 * 1024;

    public Launch {
        if (gridX < 1 || gridY < 1 || gridZ < 1 || gridY > 65_535 || gridZ > 65_535) {
            throw new IllegalArgumentException("grid " + gridX + "x" + gridY + "x" + gridZ
                    + " is outside CUDA's limits (x < 2^31, y and z <= 65535): the tensor is too large for this kernel");
        }
        if (blockX < 1 || blockX > 1024 || sharedBytes < 0 || sharedBytes > MAX_SHARED_BYTES) {
            throw new IllegalArgumentException("block of " + blockX + " threads with " + sharedBytes
                    + " bytes of shared memory is outside the kernels' limits (1024 threads, 227 KiB)");
        }
    }

    public static Launch of(long gridX, int gridY, int gridZ, int blockX, int sharedBytes) {
        if (gridX > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("grid x of " + gridX + " blocks exceeds CUDA's 2^31 - 1");
        }
        return new Launch((int) gridX, gridY, gridZ, blockX, sharedBytes);
    }

    /** Blocks needed for count items at per items each. */
    public static long blocks(long count, int per) {
        return Math.max(1, (count + per - 1) / per);
    }
}
