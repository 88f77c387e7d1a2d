"""Bundler and Composer: the project file readers (what `bundle install` and `composer install`
read, and why a split is refused), their tools' effects, and what the cache rules (DFX219,
DFX220) follow beyond their examples and fixtures."""

from __future__ import annotations

import json

import pytest

from dockerfix.document.shell import Command, parse_shell
from dockerfix.document.state import State
from dockerfix.ecosystems.bundler import bundle_install, gem_tool_command
from dockerfix.ecosystems.command_effects import command_effects
from dockerfix.ecosystems.composer import composer_install, composer_source_step
from dockerfix.ecosystems.project_install import ProjectInstall
from dockerfix.ecosystems.projects import project_install
from dockerfix.rules.bundler_cache import _glob_relation


def _command(text: str) -> Command:
    return parse_shell(text).commands[0]


def _files(files: dict[str, str]):  # type: ignore[no-untyped-def]
    return files.get


def _glob(files: dict[str, str]):  # type: ignore[no-untyped-def]
    def glob(pattern: str) -> list[str]:
        folder, _, suffix = pattern.rpartition("*")
        return sorted(n for n in files if n.startswith(folder) and n.endswith(suffix) and "/" not in n[len(folder) :])

    return glob


def _bundle(text: str, files: dict[str, str], env: dict[str, str | None] | None = None) -> ProjectInstall:
    found = bundle_install(_command(text), _files(files), _glob(files), State(env=env or {}))
    assert found is not None
    return found


FROZEN = {"BUNDLE_FROZEN": "true"}
LOCK = "GEM\n  specs:\n\nPLATFORMS\n  ruby\n"


def test_bundle_install_reads_gemfile_lock_and_local_config() -> None:
    found = _bundle("bundle install", {"Gemfile": 'source "https://rubygems.org"\ngem "rack"\n', "Gemfile.lock": LOCK}, FROZEN)
    assert found.files == ["Gemfile", "Gemfile.lock"]
    assert ".bundle/config" in found.optional
    assert found.dirs == ["vendor/cache"]
    assert found.problem is None and found.source is None


def test_bundle_app_config_moves_the_local_config_away() -> None:
    env = {**FROZEN, "BUNDLE_APP_CONFIG": "/usr/local/bundle"}
    found = _bundle("bundle install", {"Gemfile": 'gem "rack"\n', "Gemfile.lock": LOCK}, env)
    assert ".bundle/config" not in found.optional


def test_gems_rb_wins_over_gemfile() -> None:
    found = _bundle("bundle install", {"gems.rb": 'gem "rack"\n', "gems.locked": LOCK, "Gemfile": ""}, FROZEN)
    assert found.files == ["gems.rb", "gems.locked"]


def test_unfrozen_install_with_a_lock_is_refused() -> None:
    found = _bundle("bundle install", {"Gemfile": 'gem "rack"\n', "Gemfile.lock": LOCK})
    assert found.problem is not None and "may rewrite Gemfile.lock" in found.problem


def test_frozen_by_flag_or_local_config() -> None:
    files = {"Gemfile": 'gem "rack"\n', "Gemfile.lock": LOCK}
    assert _bundle("bundle install --deployment", files).problem is None
    config = {**files, ".bundle/config": '---\nBUNDLE_FROZEN: "true"\n'}
    assert _bundle("bundle install", config).problem is None


def test_without_a_lock_the_install_may_write_one() -> None:
    found = _bundle("bundle install", {"Gemfile": 'gem "rack"\n'})
    assert found.problem is None
    assert "Gemfile.lock" in found.optional


def test_install_folder_in_the_project_is_an_environment() -> None:
    files = {"Gemfile": 'gem "rack"\n', "Gemfile.lock": LOCK}
    assert _bundle("bundle install", files, {**FROZEN, "BUNDLE_PATH": "vendor/bundle"}).environments == ("vendor/bundle",)
    assert _bundle("bundle install", files, {"BUNDLE_DEPLOYMENT": "1"}).environments == ("vendor/bundle",)
    assert _bundle("bundle install", files, {**FROZEN, "BUNDLE_PATH": "/usr/local/bundle"}).environments == ()


def test_gemspec_and_the_files_it_requires() -> None:
    files = {
        "Gemfile": 'source "https://rubygems.org"\ngemspec\n',
        "Gemfile.lock": LOCK,
        "acme.gemspec": 'require_relative "lib/acme/version"\nGem::Specification.new { |s| s.version = Acme::VERSION }\n',
        "lib/acme/version.rb": 'require_relative "../acme_base"\nmodule Acme; VERSION = "1"; end\n',
        "lib/acme_base.rb": "module Acme; end\n",
    }
    found = _bundle("bundle install", files, FROZEN)
    assert found.problem is None
    assert {"acme.gemspec", "lib/acme/version.rb", "lib/acme_base.rb"} <= set(found.files)


def test_gemspec_through_the_load_path() -> None:
    files = {
        "Gemfile": "gemspec\n",
        "acme.gemspec": 'lib = File.expand_path("lib", __dir__)\n$LOAD_PATH.unshift(lib)\nrequire "acme/version"\nrequire "json"\n',
        "lib/acme/version.rb": 'module Acme; VERSION = "1"; end\n',
    }
    found = _bundle("bundle install", files)
    assert found.problem is None
    assert "lib/acme/version.rb" in found.files


def test_gemspec_that_runs_a_command_is_refused() -> None:
    files = {"Gemfile": "gemspec\n", "acme.gemspec": "s.files = `git ls-files -z`.split(\"\\x0\")\n"}
    found = _bundle("bundle install", files)
    assert found.problem is not None and "acme.gemspec line 1 runs a command" in found.problem
    listing = {"Gemfile": "gemspec\n", "acme.gemspec": 's.files = Dir["lib/**/*.rb"]\n'}
    assert "lists files" in (_bundle("bundle install", listing).problem or "")


def test_gemspec_with_executables_is_refused() -> None:
    spec = 'Gem::Specification.new do |s|\n  s.bindir = "exe"\n  s.executables = ["acme"]\nend\n'
    found = _bundle("bundle install", {"Gemfile": "gemspec\n", "acme.gemspec": spec}, FROZEN)
    assert found.problem is not None and "acme.gemspec line 3 installs executables" in found.problem
    none = 'Gem::Specification.new do |s|\n  s.executables = []\nend\n'
    assert _bundle("bundle install", {"Gemfile": "gemspec\n", "acme.gemspec": none}, FROZEN).problem is None


@pytest.mark.parametrize(
    ("text", "step"),
    [
        ("composer dump-autoload --optimize", True),
        ("composer dumpautoload", True),
        ("composer run-script post-install-cmd", True),
        ("composer --working-dir=/x dump-autoload", False),
        ("composer install", False),
        ("php artisan optimize", False),
    ],
)
def test_composer_source_steps(text: str, step: bool) -> None:
    assert composer_source_step(_command(text)) is step


def test_gemfile_lines_that_are_not_read() -> None:
    found = _bundle("bundle install", {"Gemfile": 'gem "rack"\nif ENV["X"]\n  gem "pry"\nend\n'})
    assert found.problem == "Gemfile line 2 is not read"
    found = _bundle("bundle install", {"Gemfile": 'gem "rack", path: "#{__dir__}/x"\n'})
    assert found.problem == "Gemfile line 1 is not read"


def test_gemfile_paths_eval_and_ruby_file() -> None:
    files = {
        "Gemfile": 'ruby file: ".ruby-version"\ngem "core",\n  path: "engines/core"\neval_gemfile "Gemfile.extra"\n',
        "Gemfile.extra": 'group :test do\n  gem "rspec"\nend\n',
        ".ruby-version": "3.3.0\n",
    }
    found = _bundle("bundle install", files)
    assert found.problem is None
    assert {".ruby-version", "Gemfile.extra"} <= set(found.files)
    assert "engines/core" in found.dirs
    outside = _bundle("bundle install", {"Gemfile": 'gem "core", path: "../core"\n'})
    assert outside.problem is not None and "outside the copied folder" in outside.problem


def test_bundle_commands_that_are_not_installs() -> None:
    read = _files({})
    assert bundle_install(_command("bundle exec rake"), read) is None
    assert bundle_install(_command("bundle --version"), read) is None
    assert project_install(_command("bundle install"), read) is not None
    assert gem_tool_command(_command("gem install bundler -v 2.5.6"))
    assert not gem_tool_command(_command("gem install ./vendor/acme.gem"))


def test_bundle_config_local_writes_the_project_config() -> None:
    effects = command_effects(_command("bundle config set --local without development"), State(), "/app")
    assert effects.unknown is None
    assert effects.writes.meets(Paths_of("/app/.bundle/config")) is not None
    moved = command_effects(
        _command("bundle config set --local without development"), State(env={"BUNDLE_APP_CONFIG": "/usr/local/bundle"}), "/app"
    )
    assert moved.writes.meets(Paths_of("/app/.bundle/config")) is None


def Paths_of(*paths: str):  # type: ignore[no-untyped-def]
    from dockerfix.document.effects import Paths

    return Paths.of(*paths)


def _composer(text: str, files: dict[str, str], env: dict[str, str | None] | None = None) -> ProjectInstall:
    found = composer_install(_command(text), _files(files), None, State(env=env or {}))
    assert found is not None
    return found


MANIFEST = json.dumps({"require": {"monolog/monolog": "^3"}, "autoload": {"psr-4": {"App\\": "src/"}}})


def _lock(*packages: tuple[str, str], dev: tuple[tuple[str, str], ...] = ()) -> str:
    return json.dumps(
        {"packages": [{"name": n, "type": t} for n, t in packages], "packages-dev": [{"name": n, "type": t} for n, t in dev]}
    )


def test_composer_install_needs_the_source_and_has_a_deps_only_mode() -> None:
    found = _composer("composer install --no-dev", {"composer.json": MANIFEST, "composer.lock": _lock(("monolog/monolog", "library"))})
    assert found.files == ["composer.json", "composer.lock"]
    assert found.optional == ["auth.json"]
    assert found.source is not None
    assert found.deps_only == ["--no-scripts", "--no-autoloader"]
    assert found.environments == ("vendor", "vendor/bin")
    assert found.problem is None


def test_composer_install_without_scripts_and_autoloader_needs_no_source() -> None:
    found = _composer("composer install --no-scripts --no-autoloader", {"composer.json": MANIFEST})
    assert found.source is None


def test_composer_plugins_are_refused_unless_no_plugins() -> None:
    files = {"composer.json": MANIFEST, "composer.lock": _lock(("symfony/flex", "composer-plugin"))}
    assert "symfony/flex" in (_composer("composer install", files).problem or "")
    assert _composer("composer install --no-plugins", files).problem is None
    dev_plugin = {"composer.json": MANIFEST, "composer.lock": _lock(dev=(("phpstan/extension-installer", "composer-plugin"),))}
    assert _composer("composer install", dev_plugin).problem is not None
    assert _composer("composer install --no-dev", dev_plugin).problem is None


def test_composer_ordered_scripts_are_refused() -> None:
    scripts = json.dumps({"scripts": {"pre-install-cmd": "echo hi"}})
    assert "pre-install-cmd" in (_composer("composer install", {"composer.json": scripts}).problem or "")
    assert _composer("composer install --no-scripts", {"composer.json": scripts}).problem is None


@pytest.mark.parametrize(
    ("url", "folder"),
    [("packages/*", "packages"), ("packages/greeter", "packages/greeter"), ("./libs/*/src", "libs")],
)
def test_composer_local_repositories_are_copied_first(url: str, folder: str) -> None:
    manifest = json.dumps({"repositories": [{"type": "path", "url": url}, {"type": "artifact", "url": "zips"}]})
    found = _composer("composer install", {"composer.json": manifest})
    assert found.problem is None
    assert found.dirs == [folder, "zips"]


@pytest.mark.parametrize("url", ["../shared/*", "/srv/packages", "https://example.com/x", "*", "~/pkgs"])
def test_composer_repositories_outside_the_project_are_refused(url: str) -> None:
    manifest = json.dumps({"repositories": [{"type": "path", "url": url}]})
    assert "path repository" in (_composer("composer install", {"composer.json": manifest}).problem or "")


def test_composer_variables_and_folders() -> None:
    assert "COMPOSER is set" in (_composer("composer install", {"composer.json": MANIFEST}, {"COMPOSER": "x.json"}).problem or "")
    custom = json.dumps({"config": {"vendor-dir": "lib/vendor", "bin-dir": "bin"}})
    assert _composer("composer install", {"composer.json": custom}).environments == ("lib/vendor", "bin")
    assert "--working-dir" in (_composer("composer install -d sub", {"composer.json": MANIFEST}).problem or "")
    assert composer_install(_command("composer update"), _files({})) is None


def test_bundler_cache_patterns_against_the_mount() -> None:
    target = "/usr/local/bundle/ruby/3.3.0/cache"
    assert _glob_relation("/usr/local/bundle/ruby/*/cache", target) == "inside"
    assert _glob_relation("/usr/local/bundle/ruby/*/cache/*.gem", target) == "inside"
    assert _glob_relation("/usr/local/bundle/ruby/*", target) == "holds"
    assert _glob_relation("/usr/local/bundle/ruby/*/bundler/gems/*/.git", target) is None
    assert _glob_relation("/usr/local/bundle/ruby/3.3.0/cache", target) is None  # a plain path is the frame's
