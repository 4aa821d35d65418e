#pragma once

#include <string>
#include <vector>

namespace streamrelay::test_support {

// npm packages (pinned by the caller) installed once into the build tree's tests/`name` folder;
// the folder, or "" when npm failed (`log` says why). Concurrent tests wait for one install.
std::string install_npm_packages(const std::string& name, const std::vector<std::string>& packages,
                                 std::string& log);

}  // namespace streamrelay::test_support
