# minishop_relay: the outbox relay (Redis stream → RabbitMQ). Included by
# src/seckill/CMakeLists.txt; a library of its own because it runs on its own thread with
# blocking clients, apart from the event-loop code of minishop_seckill.
add_library(minishop_relay ${CMAKE_CURRENT_LIST_DIR}/relay.cc)
target_include_directories(minishop_relay PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(minishop_relay PUBLIC minishop_common minishop_contracts minishop_redis
                                            minishop_amqp
                                     PRIVATE nlohmann_json::nlohmann_json)

minishop_test(relay_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/relay_test.cc LIBS minishop_relay
              nlohmann_json::nlohmann_json)
