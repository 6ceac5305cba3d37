// Lifecycle of the supervisor process and its control socket. See supervisor_impl.hpp for the
// split across files.
#include "state_json.hpp"
#include "supervisor_impl.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace ucm::sandbox {

int run_supervisor(const SupervisorArgs& args) {
    detail::Supervisor supervisor(args);
    return supervisor.run();
}

}  // namespace ucm::sandbox

namespace ucm::sandbox::detail {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::chrono::seconds kRequestReadTimeout{10};

// Log tails in error messages may hold invalid UTF-8, on which a plain dump() throws.
std::string dump_line(const json& value) {
    return value.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

void write_all(int fd, std::string_view text) {
    while (!text.empty()) {
        ssize_t n = ::write(fd, text.data(), text.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        text.remove_prefix(static_cast<std::size_t>(n));
    }
}

void send_reply(int fd, const json& reply) {
    const std::string line = dump_line(reply);
    std::string_view rest = line;
    while (!rest.empty()) {
        ssize_t n = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // the client went away; nothing to tell it
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::optional<std::string> read_request_line(int fd) {
    std::string line;
    const Deadline deadline = Clock::now() + kRequestReadTimeout;
    char buffer[4096];
    while (line.find('\n') == std::string::npos) {
        pollfd pfd{fd, POLLIN, 0};
        int rc = ::poll(&pfd, 1, ms_until(deadline));
        if (rc == 0 && Clock::now() >= deadline) return std::nullopt;
        if (rc <= 0) continue;
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        line.append(buffer, static_cast<std::size_t>(n));
    }
    if (line.empty()) return std::nullopt;
    return line.substr(0, line.find('\n'));
}

}  // namespace

Supervisor::Supervisor(SupervisorArgs args) : args_(std::move(args)), self_(::getpid()) {}

Supervisor::~Supervisor() { teardown(); }

void Supervisor::note(std::string_view message) const {
    auto elapsed = std::chrono::duration<double>(Clock::now() - started_at_).count();
    std::fprintf(stderr, "[ucm-sandbox %d +%.3fs] %.*s\n", self_, elapsed, static_cast<int>(message.size()),
                 message.data());
    std::fflush(stderr);
}

void Supervisor::install_signal_handling() {
    // hiredis writes with write(): a dead server must not kill the supervisor (gotcha 11).
    ::signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, sig);
    ::sigprocmask(SIG_BLOCK, &set, nullptr);
    signal_fd_.reset(::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!signal_fd_.valid()) throw std::runtime_error("signalfd: " + errno_text(errno));
    // Orphans (backends of a kill -9'd postmaster) become our children, so we reap them promptly
    // instead of PID 1 reaping them 1-2 s later (gotcha 3), and teardown can find them.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

void Supervisor::open_control_socket() {
    const fs::path path = dir_ / "control.sock";
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string text = path.string();
    if (text.size() >= sizeof addr.sun_path) throw std::runtime_error("socket path too long: " + text);
    std::memcpy(addr.sun_path, text.c_str(), text.size() + 1);
    listen_fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!listen_fd_.valid() ||
        ::bind(listen_fd_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_.get(), 16) != 0) {
        throw std::runtime_error("control socket " + text + ": " + errno_text(errno));
    }
    ::chmod(text.c_str(), 0666);  // the caller may be root or another user than the servers'
}

int Supervisor::run() {
    try {
        install_signal_handling();
        const Deadline deadline = Clock::now() + args_.options.ready_timeout;
        prepare_directory();
        drop_privileges();
        create_members();
        start_everything(deadline);
        open_control_socket();
    } catch (const std::exception& e) {
        const std::string_view reason = e.what();
        note("start-up failed: " + std::string(reason.substr(0, reason.find('\n'))));
        teardown();  // before answering: when the caller reads the error, nothing is left
        write_all(STDOUT_FILENO, dump_line(json{{"ok", false}, {"error", e.what()}}));
        return 1;
    }
    starting_ = false;
    note("ready");
    write_all(STDOUT_FILENO, dump_line(json(state())));
    // From now on nobody reads our stdout/stderr pipes: keep the output in the sandbox directory.
    UniqueFd log(::open((dir_ / "supervisor.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (log.valid()) {
        ::dup2(log.get(), STDOUT_FILENO);
        ::dup2(log.get(), STDERR_FILENO);
    }
    try {
        serve();
    } catch (const std::exception& e) {
        note(std::string("control loop failed: ") + e.what());  // still stop everything below
    }
    note("stopping");
    teardown();
    return 0;
}

void Supervisor::serve() {
    while (!stop_requested_) {
        pollfd fds[3] = {{signal_fd_.get(), POLLIN, 0}, {listen_fd_.get(), POLLIN, 0}, {-1, 0, 0}};
        nfds_t count = 2;
        if (args_.watch_stdin && stdin_open_) fds[count++] = {STDIN_FILENO, POLLIN, 0};
        ::poll(fds, count, 1000);
        pump();
        if (!stop_requested_ && (fds[1].revents & POLLIN) != 0) {
            UniqueFd client(::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
            if (client.valid()) serve_client(std::move(client));
        }
    }
}

void Supervisor::serve_client(UniqueFd client) {
    auto line = read_request_line(client.get());
    if (!line) return;
    json request;
    try {
        request = json::parse(*line);
    } catch (const json::exception& e) {
        send_reply(client.get(), {{"ok", false}, {"error", std::string("bad request: ") + e.what()}});
        return;
    }
    const auto op = request.is_object() ? request.find("op") : request.end();
    if (op != request.end() && *op == "down") {
        note("down requested");
        teardown();
        stop_requested_ = true;
        send_reply(client.get(), {{"ok", true}});
        return;
    }
    json reply;
    try {
        reply = handle(request);
        reply["ok"] = true;
    } catch (const std::exception& e) {
        reply = {{"ok", false}, {"error", e.what()}};
    }
    send_reply(client.get(), reply);
}

}  // namespace ucm::sandbox::detail
