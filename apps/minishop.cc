// minishop: one binary, several roles. main() parses flags, builds the object graph and runs.
#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app{"MiniShop flash-sale server"};
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
