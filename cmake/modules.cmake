# Kernels for one instruction set live in files named *_avx2.cpp or *_avx512.cpp and are compiled
# for that set only; callers choose among them at run time (engine/cpu_features.h), so the binary
# still runs on a CPU without them.
function(anvil_isa_flags sources)
  foreach(source ${sources})
    if(source MATCHES "_avx2\\.cpp$")
      set_source_files_properties(${source} PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma;-mf16c")
    elseif(source MATCHES "_avx512\\.cpp$")
      set_source_files_properties(${source} PROPERTIES COMPILE_OPTIONS
        "-mavx2;-mfma;-mf16c;-mavx512f;-mavx512bw;-mavx512vl;-mavx512dq;-mavx512vnni;-mavx512bf16")
    endif()
  endforeach()
endfunction()

# anvil_module(NAME DEPS...): one static library per folder of src/anvil, sources globbed so that
# adding a file needs no CMake edit. Includes are rooted at src/ ("anvil/core/status.h").
function(anvil_module name)
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS
       ${PROJECT_SOURCE_DIR}/src/anvil/${name}/*.cpp)
  if(NOT sources)  # a module not written yet still gives a (empty) library to link against
    set(sources ${CMAKE_BINARY_DIR}/empty_${name}.cpp)
    file(WRITE ${sources} "// empty module\n")
  endif()
  anvil_isa_flags("${sources}")
  add_library(anvil_${name} STATIC ${sources})
  target_include_directories(anvil_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(anvil_${name} PUBLIC ${ARGN} PRIVATE anvil_warnings)
endfunction()

# anvil_module_tests(NAME DEPS...): one GoogleTest binary per module from tests/NAME/*_test.cpp.
function(anvil_module_tests name)
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/${name}/*_test.cpp)
  if(NOT sources)
    return()
  endif()
  add_executable(${name}_tests ${sources})
  target_include_directories(${name}_tests PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name}_tests PRIVATE ${ARGN} anvil_testing GTest::gtest GTest::gmock
                        GTest::gtest_main anvil_warnings)
  gtest_discover_tests(${name}_tests
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    DISCOVERY_MODE PRE_TEST
    PROPERTIES ENVIRONMENT "ANVIL_SOURCE_DIR=${PROJECT_SOURCE_DIR};ANVIL_SHARED_DIR=${PROJECT_SOURCE_DIR}/../shared")
endfunction()
