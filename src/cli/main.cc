#include "cli/commands.h"

int main(int argc, char** argv) { return eventlens::cli::run(argc, argv); }
