# Tests against a real Apache Kafka broker (scripts/kafka: 3.9.2, KRaft, on
# 127.0.0.1). The fixture `kafka` starts one broker for the whole run and stops
# it at the end. The test executables are registered with add_test
# (gtest_discover_tests would run them at build time, before any broker
# exists), and those that use the broker run one at a time.
set(EVENTLENS_KAFKA_TEST_DIR "${CMAKE_BINARY_DIR}/kafka-test")
set(EVENTLENS_KAFKA_SCRIPT "${PROJECT_SOURCE_DIR}/scripts/kafka")

add_test(NAME kafka_broker_start
  COMMAND ${EVENTLENS_KAFKA_SCRIPT} start --dir ${EVENTLENS_KAFKA_TEST_DIR})
# Start-up includes fetching the jars from Maven Central on a fresh machine.
set_tests_properties(kafka_broker_start PROPERTIES
  FIXTURES_SETUP kafka LABELS kafka RUN_SERIAL TRUE TIMEOUT 600)

add_test(NAME kafka_broker_stop
  COMMAND ${EVENTLENS_KAFKA_SCRIPT} stop --dir ${EVENTLENS_KAFKA_TEST_DIR})
set_tests_properties(kafka_broker_stop PROPERTIES
  FIXTURES_CLEANUP kafka LABELS kafka RUN_SERIAL TRUE TIMEOUT 120)

add_library(eventlens_kafka_test_support STATIC ${CMAKE_CURRENT_LIST_DIR}/test_broker.cc
  ${CMAKE_CURRENT_LIST_DIR}/serve_harness.cc)
target_link_libraries(eventlens_kafka_test_support PUBLIC eventlens_io eventlens_test_support
  PRIVATE eventlens_warnings)
target_compile_definitions(eventlens_kafka_test_support PRIVATE
  EVENTLENS_KAFKA_SCRIPT="${EVENTLENS_KAFKA_SCRIPT}")

# Tests of the client wrappers that need no broker (configuration, failures
# against a closed port); they still carry the label.
set(EVENTLENS_KAFKA_TESTS_WITHOUT_BROKER kafka_clients_test)

file(GLOB EVENTLENS_KAFKA_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*_test.cc)
foreach(test_source ${EVENTLENS_KAFKA_TESTS})
  get_filename_component(test_name ${test_source} NAME_WE)
  add_executable(${test_name} ${test_source})
  target_link_libraries(${test_name} PRIVATE eventlens_kafka_test_support eventlens_io
    eventlens_test_support eventlens_warnings GTest::gtest_main)
  add_test(NAME ${test_name} COMMAND ${test_name})
  if(test_name IN_LIST EVENTLENS_KAFKA_TESTS_WITHOUT_BROKER)
    set_tests_properties(${test_name} PROPERTIES LABELS kafka TIMEOUT 120)
  else()
    # The fault tests (kill -9, takeover) carry a label of their own too:
    # `ctest -L kafka_faults` runs them alone, `-LE kafka_faults` skips them.
    set(labels kafka)
    if(test_name STREQUAL "kafka_faults_test")
      set(labels "kafka;kafka_faults")
    endif()
    set_tests_properties(${test_name} PROPERTIES
      FIXTURES_REQUIRED kafka LABELS "${labels}" RUN_SERIAL TRUE TIMEOUT 600
      ENVIRONMENT "EVENTLENS_KAFKA_DIR=${EVENTLENS_KAFKA_TEST_DIR}")
  endif()
endforeach()
