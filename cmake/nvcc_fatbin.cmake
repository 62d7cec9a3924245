# cmake -P script: compiles the kernels into one fatbin and enforces the ptxas gates.
# Inputs: NVCC, ARCHS (comma-separated SM numbers), SOURCE, OUTPUT, REPORT.
# Gates: any warning is an error (nvcc --Werror all-warnings, ptxas -Werror), including spills,
# local memory and double-precision use; then per kernel a register budget, no stack frame and at
# most 48 KiB of static shared memory (dynamic shared memory is checked by the Java launcher).
string(REPLACE "," ";" ARCHS "${ARCHS}")
set(GENCODE "")
foreach(arch IN LISTS ARCHS)
    list(APPEND GENCODE "-gencode=arch=compute_${arch},code=sm_${arch}")
endforeach()
list(GET ARCHS -1 newest)
list(APPEND GENCODE "-gencode=arch=compute_${newest},code=compute_${newest}")

execute_process(
    COMMAND "${NVCC}" -fatbin ${GENCODE} -std=c++17 -O3 --Werror all-warnings
            -Xptxas=-v,-warn-spills,-warn-lmem-usage,-warn-double-usage,-Werror
            -o "${OUTPUT}" "${SOURCE}"
    RESULT_VARIABLE status
    OUTPUT_VARIABLE out
    ERROR_VARIABLE log)
file(WRITE "${REPORT}.log" "${out}${log}")
if(NOT status EQUAL 0)
    file(REMOVE "${OUTPUT}")
    message(FATAL_ERROR "nvcc failed (full log: ${REPORT}.log):\n${log}")
endif()

# Registers allowed per kernel; the rest get 64.
set(budget_gemm_bf16 128)
set(budget_gemm_bf16_simt 255)
set(budget_gemm_f32 255)
set(budget_attention_prefill 128)
set(budget_attention_prefill_tc_64 255)
set(budget_attention_prefill_tc_80 255)
set(budget_attention_prefill_tc_128 255)
set(budget_attention_decode_split 128)  # 8 query heads' scores and outputs per lane
# The pipelined tensor-core GEMM: 1 block of 256 threads per SM for the 128x256 tile, 2 for the others.
set(budget_gemm_tc_128x256 255)
set(budget_gemm_tc_128x128 128)
set(budget_gemm_tc_128x128_w8 128)
set(budget_gemm_tc_64x128 128)

string(REPLACE "\n" ";" lines "${log}")
set(report "kernel                       arch   registers  static-smem  stack\n")
set(failures "")
set(kernel "")
foreach(line IN LISTS lines)
    if(line MATCHES "Compiling entry function '([A-Za-z0-9_]+)' for '(sm_[0-9]+)'")
        set(kernel "${CMAKE_MATCH_1}")
        set(arch "${CMAKE_MATCH_2}")
    elseif(line MATCHES "([0-9]+) bytes stack frame")
        set(stack "${CMAKE_MATCH_1}")
    elseif(kernel AND line MATCHES "Used ([0-9]+) registers")
        set(registers "${CMAKE_MATCH_1}")
        set(smem 0)
        if(line MATCHES "([0-9]+) bytes smem")
            set(smem "${CMAKE_MATCH_1}")
        endif()
        set(budget 64)
        if(DEFINED budget_${kernel})
            set(budget ${budget_${kernel}})
        endif()
        string(LENGTH "${kernel}" length)
        math(EXPR padding "29 - ${length}")
        string(REPEAT " " ${padding} pad)
        string(APPEND report "${kernel}${pad}${arch}  ${registers}/${budget}  ${smem}  ${stack}\n")
        if(registers GREATER budget)
            string(APPEND failures "${kernel} (${arch}) uses ${registers} registers, budget ${budget}\n")
        endif()
        if(smem GREATER 49152)
            string(APPEND failures "${kernel} (${arch}) uses ${smem} bytes of static shared memory, limit 49152\n")
        endif()
        if(NOT stack EQUAL 0)
            string(APPEND failures "${kernel} (${arch}) has a ${stack}-byte stack frame\n")
        endif()
        set(kernel "")
    endif()
endforeach()
file(WRITE "${REPORT}" "${report}")
if(failures)
    file(REMOVE "${OUTPUT}")
    message(FATAL_ERROR "ptxas gates failed (report: ${REPORT}):\n${failures}")
endif()
message(STATUS "ptxas gates passed; report: ${REPORT}")
