package dev.glimpse.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * The CUDA driver API calls Glimpse makes, bound through FFM to libcuda.so.1 (the _v2 symbols
 * where the driver has them). Every call checks its return code and throws a {@link CudaException}
 * naming the call and the error. Not thread-safe by design: only the {@link CudaThread} calls it.
 */
final class CudaDriver {

    static final String NO_DRIVER = "--device cuda: no NVIDIA driver (libcuda.so.1) found";
    static final int ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
    static final int ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
    static final int ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
    static final int ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97;
    private static final int FUNCTION_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;

    private static final MemoryLayout SIZE_T = JAVA_LONG;
    private final Arena arena = Arena.ofShared();
    private final SymbolLookup library;
    private final MemorySegment out;  // scratch for output parameters
    private final MethodHandle cuInit, cuDriverGetVersion, cuDeviceGet, cuDeviceGetCount, cuDeviceGetName,
            cuDeviceGetAttribute, cuDevicePrimaryCtxRetain, cuDevicePrimaryCtxRelease, cuCtxSetCurrent,
            cuCtxSynchronize, cuMemAlloc, cuMemFree, cuMemAllocHost, cuMemFreeHost, cuMemcpyHtoD, cuMemcpyDtoH,
            cuMemcpyDtoD, cuMemsetD8, cuMemGetInfo, cuModuleLoadData, cuModuleUnload, cuModuleGetFunction,
            cuLaunchKernel, cuFuncSetAttribute, cuGetErrorName, cuEventCreate, cuEventRecord, cuEventSynchronize, cuEventElapsedTime,
            cuEventDestroy;

    /** True when libcuda.so.1 can be loaded (says nothing about a usable GPU). */
    static boolean libraryPresent() {
        try (Arena probe = Arena.ofShared()) {
            SymbolLookup.libraryLookup("libcuda.so.1", probe);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    CudaDriver() {
        try {
            library = SymbolLookup.libraryLookup("libcuda.so.1", arena);
        } catch (IllegalArgumentException e) {
            arena.close();
            throw new CudaException(NO_DRIVER);
        }
        out = arena.allocate(64, 8);
        var i = JAVA_INT;
        var p = ADDRESS;
        var l = JAVA_LONG;
        cuInit = bind("cuInit", i);
        cuDriverGetVersion = bind("cuDriverGetVersion", p);
        cuDeviceGet = bind("cuDeviceGet", p, i);
        cuDeviceGetCount = bind("cuDeviceGetCount", p);
        cuDeviceGetName = bind("cuDeviceGetName", p, i, i);
        cuDeviceGetAttribute = bind("cuDeviceGetAttribute", p, i, i);
        cuDevicePrimaryCtxRetain = bind("cuDevicePrimaryCtxRetain", p, i);
        cuDevicePrimaryCtxRelease = bind("cuDevicePrimaryCtxRelease_v2", i);
        cuCtxSetCurrent = bind("cuCtxSetCurrent", p);
        cuCtxSynchronize = bind("cuCtxSynchronize");
        cuMemAlloc = bind("cuMemAlloc_v2", p, SIZE_T);
        cuMemFree = bind("cuMemFree_v2", l);
        cuMemAllocHost = bind("cuMemAllocHost_v2", p, SIZE_T);
        cuMemFreeHost = bind("cuMemFreeHost", p);
        cuMemcpyHtoD = bind("cuMemcpyHtoD_v2", l, p, SIZE_T);
        cuMemcpyDtoH = bind("cuMemcpyDtoH_v2", p, l, SIZE_T);
        cuMemcpyDtoD = bind("cuMemcpyDtoD_v2", l, l, SIZE_T);
        cuMemsetD8 = bind("cuMemsetD8_v2", l, JAVA_BYTE, SIZE_T);
        cuMemGetInfo = bind("cuMemGetInfo_v2", p, p);
        cuModuleLoadData = bind("cuModuleLoadData", p, p);
        cuModuleUnload = bind("cuModuleUnload", p);
        cuModuleGetFunction = bind("cuModuleGetFunction", p, p, p);
        cuLaunchKernel = bind("cuLaunchKernel", p, i, i, i, i, i, i, i, p, p, p);
        cuFuncSetAttribute = bind("cuFuncSetAttribute", p, i, i);
        cuGetErrorName = bind("cuGetErrorName", i, p);
        cuEventCreate = bind("cuEventCreate", p, i);
        cuEventRecord = bind("cuEventRecord", p, p);
        cuEventSynchronize = bind("cuEventSynchronize", p);
        cuEventElapsedTime = bind("cuEventElapsedTime", p, p, p);
        cuEventDestroy = bind("cuEventDestroy_v2", p);
    }

    private MethodHandle bind(String name, MemoryLayout... args) {
        MemorySegment symbol = library.find(name).orElseThrow(() -> new CudaException(
                "libcuda.so.1 has no " + name + ": the NVIDIA driver is too old; install a driver for CUDA 12 or newer"));
        return Linker.nativeLinker().downcallHandle(symbol, FunctionDescriptor.of(JAVA_INT, args));
    }

    private void check(String call, int result) {
        if (result != 0) {
            String name = "error " + result;
            try {
                if ((int) cuGetErrorName.invokeExact(result, out) == 0) {
                    name = out.get(ADDRESS, 0).reinterpret(256).getString(0) + " (" + result + ")";
                }
            } catch (Throwable ignored) {
                // keep the number
            }
            throw new CudaException(call + " failed: " + name);
        }
    }

    private static CudaException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new CudaException(t.toString());
    }

    void init() {
        try {
            check("cuInit", (int) cuInit.invokeExact(0));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int driverVersion() {
        try {
            check("cuDriverGetVersion", (int) cuDriverGetVersion.invokeExact(out));
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int deviceCount() {
        try {
            check("cuDeviceGetCount", (int) cuDeviceGetCount.invokeExact(out));
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int device(int ordinal) {
        try {
            check("cuDeviceGet", (int) cuDeviceGet.invokeExact(out, ordinal));
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    String deviceName(int device) {
        try {
            check("cuDeviceGetName", (int) cuDeviceGetName.invokeExact(out, 63, device));
            return out.getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int deviceAttribute(int attribute, int device) {
        try {
            check("cuDeviceGetAttribute", (int) cuDeviceGetAttribute.invokeExact(out, attribute, device));
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Retains the device's primary context and makes it current on the calling thread. */
    MemorySegment retainPrimaryContext(int device) {
        try {
            check("cuDevicePrimaryCtxRetain", (int) cuDevicePrimaryCtxRetain.invokeExact(out, device));
            MemorySegment context = out.get(ADDRESS, 0);
            check("cuCtxSetCurrent", (int) cuCtxSetCurrent.invokeExact(context));
            return context;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void releasePrimaryContext(int device) {
        try {
            check("cuDevicePrimaryCtxRelease_v2", (int) cuDevicePrimaryCtxRelease.invokeExact(device));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void synchronize() {
        try {
            check("cuCtxSynchronize", (int) cuCtxSynchronize.invokeExact());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    long malloc(long bytes) {
        try {
            check("cuMemAlloc_v2(" + bytes + " bytes)", (int) cuMemAlloc.invokeExact(out, bytes));
            return out.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void free(long pointer) {
        try {
            check("cuMemFree_v2", (int) cuMemFree.invokeExact(pointer));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Page-locked host memory, for transfers at full bus speed. */
    MemorySegment mallocHost(long bytes) {
        try {
            check("cuMemAllocHost_v2(" + bytes + " bytes)", (int) cuMemAllocHost.invokeExact(out, bytes));
            return out.get(ADDRESS, 0).reinterpret(bytes);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void freeHost(MemorySegment pinned) {
        try {
            check("cuMemFreeHost", (int) cuMemFreeHost.invokeExact(pinned));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void copyToDevice(long device, MemorySegment host, long bytes) {
        try {
            check("cuMemcpyHtoD_v2", (int) cuMemcpyHtoD.invokeExact(device, host, bytes));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void copyToHost(MemorySegment host, long device, long bytes) {
        try {
            check("cuMemcpyDtoH_v2", (int) cuMemcpyDtoH.invokeExact(host, device, bytes));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void copyOnDevice(long dst, long src, long bytes) {
        try {
            check("cuMemcpyDtoD_v2", (int) cuMemcpyDtoD.invokeExact(dst, src, bytes));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void memset(long device, byte value, long bytes) {
        try {
            check("cuMemsetD8_v2", (int) cuMemsetD8.invokeExact(device, value, bytes));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {free, total} device memory in bytes. */
    long[] memoryInfo() {
        try {
            check("cuMemGetInfo_v2", (int) cuMemGetInfo.invokeExact(out, out.asSlice(8)));
            return new long[] {out.get(JAVA_LONG, 0), out.get(JAVA_LONG, 8)};
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment loadModule(MemorySegment image) {
        try {
            check("cuModuleLoadData", (int) cuModuleLoadData.invokeExact(out, image));
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void unloadModule(MemorySegment module) {
        try {
            check("cuModuleUnload", (int) cuModuleUnload.invokeExact(module));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment function(MemorySegment module, String name) {
        try (Arena scratch = Arena.ofShared()) {
            check("cuModuleGetFunction(" + name + ")",
                    (int) cuModuleGetFunction.invokeExact(out, module, scratch.allocateFrom(name)));
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Lets the function's launches ask for up to bytes of dynamic shared memory (past the default 48 KiB). */
    void allowDynamicShared(String name, MemorySegment function, int bytes) {
        try {
            check("cuFuncSetAttribute(" + name + ", max dynamic shared " + bytes + ")",
                    (int) cuFuncSetAttribute.invokeExact(function, FUNCTION_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void launch(String name, MemorySegment function, Launch l, MemorySegment arguments) {
        try {
            check("cuLaunchKernel(" + name + ")", (int) cuLaunchKernel.invokeExact(function, l.gridX(), l.gridY(),
                    l.gridZ(), l.blockX(), 1, 1, l.sharedBytes(), MemorySegment.NULL, arguments, MemorySegment.NULL));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    MemorySegment createEvent() {
        try {
            check("cuEventCreate", (int) cuEventCreate.invokeExact(out, 0));
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void recordEvent(MemorySegment event) {
        try {
            check("cuEventRecord", (int) cuEventRecord.invokeExact(event, MemorySegment.NULL));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Milliseconds between two recorded events, waiting for the second. */
    float elapsedMillis(MemorySegment start, MemorySegment end) {
        try {
            check("cuEventSynchronize", (int) cuEventSynchronize.invokeExact(end));
            check("cuEventElapsedTime", (int) cuEventElapsedTime.invokeExact(out, start, end));
            return out.get(JAVA_FLOAT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void destroyEvent(MemorySegment event) {
        try {
            check("cuEventDestroy_v2", (int) cuEventDestroy.invokeExact(event));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
