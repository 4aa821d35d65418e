#include "support/npm_packages.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/process.h"

namespace streamrelay::test_support {

std::string install_npm_packages(const std::string& name, const std::vector<std::string>& packages,
                                 std::string& log) {
  std::string folder = std::string(STREAMRELAY_BUILD_DIR) + "/tests/" + name;
  std::filesystem::create_directories(folder);
  std::string wanted;
  for (const std::string& package : packages) wanted += package + "\n";
  int lock = ::open((folder + "/.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock >= 0) ::flock(lock, LOCK_EX);
  // The list of what was installed, written last: a changed pin or a broken install runs npm again.
  std::string installed_path = folder + "/installed.txt";
  bool is_installed = read_file(installed_path) == wanted;
  if (!is_installed) {
    std::vector<std::string> argv = {"npm",        "install",   "--prefix",        folder,
                                     "--no-audit", "--no-fund", "--loglevel=error"};
    argv.insert(argv.end(), packages.begin(), packages.end());
    Process npm(argv, folder + "/npm.log");
    is_installed = npm.wait(std::chrono::seconds(240)) == 0;
    log = read_file(folder + "/npm.log");
    if (is_installed) std::ofstream(installed_path) << wanted;
  }
  if (lock >= 0) ::close(lock);
  return is_installed ? folder : "";
}

}  // namespace streamrelay::test_support
