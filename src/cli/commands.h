// The eventlens command line: one function per subcommand, each returning the
// process exit status. Exceptions stop here (the edge); nothing below throws.
#pragma once

namespace eventlens::cli {

// Parses argv and runs the chosen subcommand; returns the exit status
// (0 success, 1 the command ran and found faults, 2 usage errors).
int run(int argc, char** argv);

}  // namespace eventlens::cli
