package dev.glimpse.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Work done by a benchmark, reported by JMH next to the primary score as rates: the {@code gflop} row is
 * GFLOP/s and the {@code gbyte} row GB/s (JMH labels both "ops/s").
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Traffic {

    public double gflop;
    public double gbyte;

    @Setup(Level.Iteration)
    public void reset() {
        gflop = 0;
        gbyte = 0;
    }

    void add(double flops, double bytes) {
        gflop += flops / 1e9;
        gbyte += bytes / 1e9;
    }
}
