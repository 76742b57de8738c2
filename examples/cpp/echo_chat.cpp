// echo_chat: a minimal chat with a WebSocket echo server through the C++ API.
//
//   wsc serve --port 9001 &
//   ./echo_chat ws://127.0.0.1:9001/ hello world   # messages from argv
//   printf 'one\ntwo\n' | ./echo_chat ws://127.0.0.1:9001/   # or from stdin
//
// Each message is sent as a text frame; the echo arrives in the on_message
// callback (on the loop's thread) and is printed as "echo: ...".
// Build: c++ -std=c++17 echo_chat.cpp $(pkg-config --cflags --libs wsc)
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <string>
#include <vector>
#include <wsc/client.hpp>

int main(int argc, char **argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " ws://HOST:PORT/ [MESSAGE...]\n";
    return 2;
  }
  std::vector<std::string> lines(argv + 2, argv + argc);
  if (lines.empty()) {
    for (std::string line; std::getline(std::cin, line);) {
      if (!line.empty()) lines.push_back(line);
    }
  }

  // Callbacks run on the loop thread: count the echoes and wake main().
  std::mutex mu;
  std::condition_variable cv;
  size_t echoes = 0;
  wsc::Callbacks cb;
  cb.on_message = [&](wsc::MessageType, std::string_view data) {
    std::lock_guard<std::mutex> lock(mu);
    std::cout << "echo: " << data << std::endl;
    ++echoes;
    cv.notify_all();
  };
  cb.on_error = [](wsc::Status s, std::string_view detail) {
    std::cerr << "echo_chat: " << wsc::status_text(s) << " (" << detail << ")\n";
  };

  try {
    wsc::Loop loop;
    wsc::Client client(loop, argv[1], wsc::Options{}, cb);
    if (client.wait(wsc::State::Open, std::chrono::seconds(5)) != wsc::Status::WSC_OK) {
      std::cerr << "echo_chat: cannot open " << argv[1] << "\n";
      return 1;
    }
    std::cout << "connected to " << argv[1] << std::endl;
    for (const auto &line : lines) client.send_text(line);  // queued, thread-safe

    // Wait until every message has come back (or give up after 5 s).
    std::unique_lock<std::mutex> lock(mu);
    bool all = cv.wait_for(lock, std::chrono::seconds(5), [&] { return echoes == lines.size(); });
    lock.unlock();

    client.close(1000, "bye");
    wsc::Status closed = client.wait(wsc::State::Closed, std::chrono::seconds(5));
    std::cout << "closed: " << wsc::status_text(closed) << std::endl;
    return all && closed == wsc::Status::WSC_OK ? 0 : 1;
  } catch (const wsc::Error &e) {  // bad URL or options
    std::cerr << "echo_chat: " << e.what() << "\n";
    return 1;
  }
}
