package dev.glimpse.backend.cuda;

/** The launch geometry of one kernel: grid and block sizes and dynamic shared memory in bytes. */
public record Launch(int gridX, int gridY, int gridZ, int blockX, int sharedBytes) {

    public Launch {
        if (gridX < 1 || gridY < 1 || gridZ < 1 || gridY > 65_535 || gridZ > 65_535) {
            throw new IllegalArgumentException("grid " + gridX + "x" + gridY + "x" + gridZ
                    + " is outside CUDA's limits (x < 2^31, y and z <= 65535): the tensor is too large for this kernel");
        }
        if (blockX < 1 || blockX > 1024 || sharedBytes < 0 || sharedBytes > 48 * 1024) {
            throw new IllegalArgumentException("block of " + blockX + " threads with " + sharedBytes
                    + " bytes of shared memory is outside the kernels' limits (1024 threads, 48 KiB)");
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
