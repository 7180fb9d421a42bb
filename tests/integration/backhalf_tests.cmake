# Back-half tests: outbox relay → RabbitMQ → order worker → PostgreSQL and Redis, on real
# servers. Included by tests/integration/CMakeLists.txt.
add_library(minishop_backhalf_fixture STATIC ${CMAKE_CURRENT_LIST_DIR}/backhalf_fixture.cc)
target_link_libraries(minishop_backhalf_fixture PUBLIC minishop_test_harness minishop_contracts
                      minishop_pg minishop_amqp minishop_redis GTest::gtest
                      PRIVATE nlohmann_json::nlohmann_json)

minishop_test(backhalf_relay_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/backhalf_relay_test.cc
              LIBS minishop_backhalf_fixture minishop_relay nlohmann_json::nlohmann_json INTEGRATION)
minishop_test(backhalf_order_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/backhalf_order_test.cc
              LIBS minishop_backhalf_fixture minishop_order minishop_relay INTEGRATION)
