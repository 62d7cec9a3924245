package dev.glimpse.io;

import java.nio.file.Path;

/** Told how far a checkpoint has been read: bytes done of bytes total, and the file being read. */
@FunctionalInterface
public interface LoadProgress {

    /** Reports nothing. */
    LoadProgress NONE = (done, total, file) -> {};

    void update(long bytesDone, long bytesTotal, Path currentFile);

    /** A bar on stderr for checkpoints over 1 GiB; silent for smaller ones. */
    static LoadProgress stderrBar() {
        return new ProgressBar(System.err, ProgressBar.LARGE_CHECKPOINT_BYTES);
    }
}
