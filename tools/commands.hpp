// Entry points of the wsc commands. Each returns the process exit status; a UsageError
// escaping from one is turned into exit status 2 by main().
#pragma once

#include <string>
#include <vector>

namespace wsc::cli {

int run_client(const std::vector<std::string> &args);  // wsc [options] URL
int run_serve(const std::vector<std::string> &args);   // wsc serve ...
int run_demo(const std::vector<std::string> &args);    // wsc demo
int run_bench(const std::vector<std::string> &args);   // wsc bench [URL]

}  // namespace wsc::cli
