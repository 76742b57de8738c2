import os

from conan import ConanFile
from conan.errors import ConanInvalidConfiguration
from conan.tools.build import check_min_cppstd, stdcpp_library
from conan.tools.files import copy, rmdir
from conan.tools.gnu import PkgConfigDeps
from conan.tools.layout import basic_layout
from conan.tools.meson import Meson, MesonToolchain

required_conan_version = ">=2.0.9"


class WscConan(ConanFile):
    name = "wsc"
    # Keep in step with project(version:) in meson.build.
    version = "0.1.0"
    description = "WebSocket client library for C and C++ on libwebsockets and OpenSSL"
    license = "MIT"
    homepage = "https://github.com/wsc/wsc"
    url = "https://github.com/wsc/wsc"
    topics = ("websocket", "websockets", "libwebsockets", "network", "client")
    package_type = "library"
    settings = "os", "arch", "compiler", "build_type"
    options = {
        "shared": [True, False],
        "fPIC": [True, False],
        "with_protobuf": [True, False],
        "with_msgpack": [True, False],
        "with_json": [True, False],
    }
    default_options = {
        "shared": False,
        "fPIC": True,
        "with_protobuf": False,
        "with_msgpack": False,
        "with_json": False,
    }
    # The recipe lives in the source tree: export what the library build needs
    # (the tests/ tree needs GoogleTest and is turned off below).
    exports_sources = (
        "meson.build",
        "meson_options.txt",
        "LICENSE*",
        "capi/*",
        "include/*",
        "src/*",
        "server/*",
        "tools/*",
        # meson.build enters bindings/python unconditionally; -Dpython=false
        # (set below) installs nothing from it.
        "bindings/python/meson.build",
    )

    @property
    def _min_cppstd(self):
        return "17"

    def config_options(self):
        if self.settings.os == "Windows":
            del self.options.fPIC

    def configure(self):
        if self.options.shared:
            self.options.rm_safe("fPIC")

    def layout(self):
        basic_layout(self, src_folder=".")

    def requirements(self):
        # The public headers (<wsc/wsc.h>, <wsc/client.hpp>) include neither
        # libwebsockets, OpenSSL nor zlib: the dependencies are needed to link only.
        self.requires("libwebsockets/[>=4.1.6 <5]")
        # Each loop runs lws on a libev loop (epoll): lws must be built with libev.
        self.requires("libev/[>=4.33 <5]")
        self.requires("openssl/[>=1.1 <4]")
        self.requires("zlib/[>=1.2.11 <2]")  # permessage-deflate
        if self.options.with_protobuf:
            self.requires("protobuf/[>=3.21.12 <6]")
        if self.options.with_msgpack:
            self.requires("msgpack-cxx/[>=4.1.1 <7]")
        if self.options.with_json:
            self.requires("nlohmann_json/[>=3.11.2 <4]")

    def validate(self):
        if self.settings.compiler.get_safe("cppstd"):
            check_min_cppstd(self, self._min_cppstd)
        # libwsc links with a GNU ld version script (capi/libwsc.map).
        if self.settings.os not in ("Linux", "FreeBSD"):
            raise ConanInvalidConfiguration(f"{self.ref} supports only Linux and FreeBSD")
        # wsc drives TLS through libwebsockets' OpenSSL backend. A dependency
        # taken from the system ([platform_requires]) is not listed in
        # self.dependencies and has no options to check.
        lws = next((d for d in self.dependencies.host.values() if d.ref.name == "libwebsockets"),
                   None)
        if lws is not None and str(lws.options.get_safe("with_ssl")) != "openssl":
            raise ConanInvalidConfiguration(f"{self.ref} requires libwebsockets/*:with_ssl=openssl")
        if lws is not None and str(lws.options.get_safe("with_libev", "True")) != "True":
            raise ConanInvalidConfiguration(f"{self.ref} requires libwebsockets/*:with_libev=True")

    def build_requirements(self):
        self.tool_requires("meson/[>=1.0.0 <2]")
        if not self.conf.get("tools.gnu:pkg_config", check_type=str):
            self.tool_requires("pkgconf/[>=1.8.1 <3]")
        if self.options.with_protobuf:
            self.tool_requires("protobuf/<host_version>")

    def generate(self):
        tc = MesonToolchain(self)
        feature = lambda enabled: "enabled" if enabled else "disabled"
        tc.project_options["tests"] = False
        tc.project_options["tools"] = False
        tc.project_options["python"] = False
        tc.project_options["go"] = False
        tc.project_options["bench"] = False
        tc.project_options["fuzz"] = False
        tc.project_options["protobuf"] = feature(self.options.with_protobuf)
        tc.project_options["msgpack"] = feature(self.options.with_msgpack)
        tc.project_options["json"] = feature(self.options.with_json)
        tc.generate()
        deps = PkgConfigDeps(self)
        deps.generate()

    def build(self):
        meson = Meson(self)
        meson.configure()
        meson.build()

    def package(self):
        copy(self, "LICENSE*", self.source_folder, os.path.join(self.package_folder, "licenses"))
        meson = Meson(self)
        meson.install()
        # Conan generates its own pkg-config and CMake files for consumers.
        rmdir(self, os.path.join(self.package_folder, "lib", "pkgconfig"))
        rmdir(self, os.path.join(self.package_folder, "share"))

    def package_info(self):
        self.cpp_info.set_property("pkg_config_name", "wsc")
        self.cpp_info.set_property("cmake_file_name", "wsc")
        self.cpp_info.set_property("cmake_target_name", "wsc::wsc")
        self.cpp_info.libs = ["wsc"]
        if self.settings.os in ("Linux", "FreeBSD"):
            self.cpp_info.system_libs = ["pthread", "m"]
        # A static libwsc.a is C++: C consumers need the C++ runtime as well.
        if not self.options.shared:
            libcxx = stdcpp_library(self)
            if libcxx:
                self.cpp_info.system_libs.append(libcxx)
