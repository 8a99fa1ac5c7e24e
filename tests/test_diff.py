"""The pure diff: each action, settings, env, secrets, files, reasons, fingerprints, orphans."""

from __future__ import annotations

import hashlib

from planvalues import GUID, app, deployed, local, manifest, record

from connectfile.config.model import Resources, Runtime
from connectfile.plans.diff import build_plan, env_digest, plan_app, same_value, settings_digest
from connectfile.plans.values import Action, EnvChanges, FileChanges, SettingChange
from connectfile.remote.state import AppRecord, TargetRecord


def test_create_when_nothing_deployed() -> None:
    plan = plan_app(app(title="T", env={"A": "1"}, secrets=("S",)), local(), None, None)
    assert plan.action is Action.CREATE
    assert plan.needs_bundle
    assert plan.settings == (
        SettingChange(key="name", before=None, after="sales-api"),
        SettingChange(key="title", before=None, after="T"),
    )
    assert plan.env == EnvChanges(added=("A", "S"), secrets=("S",))
    assert plan.files.added == ("main.py", "requirements.txt")
    assert plan.file_count == 2 and plan.manifest_digest == "d" * 64
    assert plan.fingerprint is not None and plan.fingerprint.guid is None


def test_noop_when_everything_matches() -> None:
    plan = plan_app(app(access="acl"), local(), deployed(), record())
    assert plan.action is Action.NOOP
    assert plan.guid == GUID
    assert not plan.settings and not plan.env and not plan.files
    assert plan.content_url and plan.dashboard_url


def test_unset_keys_are_not_managed() -> None:
    # title is null on the server and absent from the config: nothing to do.
    plan = plan_app(app(), local(), deployed(title="Someone's title", max_processes=9), record())
    assert plan.action is Action.NOOP


def test_title_change_is_an_update_without_bundle() -> None:
    plan = plan_app(app(title="New"), local(), deployed(title="Old"), record())
    assert plan.action is Action.UPDATE
    assert not plan.needs_bundle
    assert plan.settings == (SettingChange(key="title", before="Old", after="New"),)


def test_numbers_compare_by_value() -> None:
    cfg = app(runtime=Runtime(load_factor=1, max_processes=3),
              resources=Resources(cpu_request=2, memory_limit=2 * 1024**3))
    remote = deployed(load_factor=1.0, max_processes=3, cpu_request=2.0,
                      memory_limit=2147483648.0)
    assert plan_app(cfg, local(), remote, record()).action is Action.NOOP
    assert not same_value(True, 1)
    assert same_value(0.5, 0.5) and not same_value(0.5, 0.25)


def test_runtime_change_is_an_update() -> None:
    plan = plan_app(app(runtime=Runtime(max_processes=4)), local(), deployed(max_processes=2),
                    record())
    assert plan.action is Action.UPDATE
    assert plan.settings == (SettingChange(key="max_processes", before=2, after=4),)


def test_literal_env_digest_change_is_an_update() -> None:
    remote = deployed(env_names=frozenset({"LOG_LEVEL"}))
    same = plan_app(app(env={"LOG_LEVEL": "info"}), local(), remote,
                    record(env={"LOG_LEVEL": "info"}))
    assert same.action is Action.NOOP
    moved = plan_app(app(env={"LOG_LEVEL": "debug"}), local(), remote,
                     record(env={"LOG_LEVEL": "info"}))
    assert moved.action is Action.UPDATE
    assert moved.env == EnvChanges(changed=("LOG_LEVEL",))


def test_env_without_record_digest_counts_as_changed() -> None:
    remote = deployed(env_names=frozenset({"LOG_LEVEL"}))
    plan = plan_app(app(env={"LOG_LEVEL": "info"}), local(), remote, None)
    assert plan.env.changed == ("LOG_LEVEL",)


def test_env_added_and_removed_only_for_managed_names() -> None:
    remote = deployed(env_names=frozenset({"OLD", "UNMANAGED", "GONE_ALREADY_NOT"}))
    rec = record(env={"OLD": "x", "GONE": "y"})  # GONE is no longer on the server
    plan = plan_app(app(env={"NEW": "1"}), local(), remote, rec)
    assert plan.env == EnvChanges(added=("NEW",), removed=("OLD",))


def test_secrets_sent_only_when_names_change() -> None:
    remote = deployed(env_names=frozenset({"S"}))
    steady = plan_app(app(secrets=("S",)), local(), remote, record(secrets=("S",)))
    assert steady.action is Action.NOOP
    renamed = plan_app(app(secrets=("S", "T")), local(), remote, record(secrets=("S",)))
    assert renamed.env == EnvChanges(added=("T",), secrets=("T",))
    forced = plan_app(app(secrets=("S",)), local(), remote, record(secrets=("S",)),
                      resend_secrets=True)
    assert forced.action is Action.UPDATE and forced.env.secrets == ("S",)
    # No record (CI without .connect/): a secret already on the server is left alone.
    assert plan_app(app(secrets=("S",)), local(), remote, None).action is Action.NOOP


def test_file_edit_is_a_redeploy_naming_the_file() -> None:
    changed = local({"main.py": "bbb", "requirements.txt": "rrr", "new.py": "n"})
    plan = plan_app(app(), changed, deployed(), record())
    assert plan.action is Action.REDEPLOY
    assert plan.files == FileChanges(added=("new.py",), modified=("main.py",))
    assert plan.redeploy_reasons == ("files",)


def test_manifest_fields_are_reasons() -> None:
    plan = plan_app(app(), local(entrypoint="api:app", python="3.12.1"), deployed(), record())
    assert plan.redeploy_reasons == ("entrypoint", "python")
    assert [c.key for c in plan.bundle_changes] == ["entrypoint", "python"]
    assert plan.bundle_changes[1] == SettingChange(key="python", before="3.11.6", after="3.12.1")


def test_requirements_edit_names_requirements() -> None:
    plan = plan_app(app(), local({"main.py": "aaa", "requirements.txt": "r2"}), deployed(),
                    record())
    assert plan.redeploy_reasons == ("files", "requirements")


def test_other_manifest_difference_redeploys() -> None:
    remote_manifest = manifest()
    remote_manifest["environment"] = {"python": {"requires": ">=3.10"}}
    plan = plan_app(app(), local(), deployed(manifest=remote_manifest), record())
    assert plan.redeploy_reasons == ("manifest",)


def test_machine_dependent_manifest_fields_are_ignored() -> None:
    remote_manifest = manifest()
    remote_manifest["locale"] = "C"
    remote_manifest["python"]["package_manager"]["version"] = "23.2"
    assert plan_app(app(), local(), deployed(manifest=remote_manifest),
                    record()).action is Action.NOOP


def test_first_deploy_of_existing_content() -> None:
    remote = deployed(app_mode="unknown", bundle_id=None, manifest=None)
    plan = plan_app(app(), local(), remote, record())
    assert plan.action is Action.REDEPLOY
    assert plan.redeploy_reasons == ("first_deploy",)


def test_type_change_is_refused_with_the_way_out() -> None:
    plan = plan_app(app(type="dash"), local(appmode="python-dash"), deployed(), record())
    assert plan.action is Action.REFUSED
    assert plan.refusal is not None
    assert "cannot change an app's mode" in plan.refusal
    assert "new `name`" in plan.refusal and "delete content" in plan.refusal
    assert plan.bundle_changes[0].key == "app_mode"


def test_type_change_before_first_deploy_is_fine() -> None:
    remote = deployed(app_mode="unknown", bundle_id=None, manifest=None)
    plan = plan_app(app(type="dash"), local(appmode="python-dash"), remote, None)
    assert plan.action is Action.REDEPLOY


def test_locked_content_refuses_a_new_bundle_only() -> None:
    remote = deployed(locked=True)
    assert plan_app(app(title="x"), local(), remote, record()).action is Action.UPDATE
    edited = local({"main.py": "zzz", "requirements.txt": "rrr"})
    assert plan_app(app(), edited, remote, record()).action is Action.REFUSED


def test_vanity_url_normalized() -> None:
    same = plan_app(app(vanity_url="sales"), local(), deployed(vanity_url="/sales/"), record())
    assert same.action is Action.NOOP
    moved = plan_app(app(vanity_url="/new/"), local(), deployed(vanity_url="/sales/"), record())
    assert moved.action is Action.UPDATE and moved.vanity_url == "/new/"
    unset = plan_app(app(vanity_url="/s/"), local(), deployed(), record())
    assert unset.vanity_url == "/s/"


def test_fingerprint_tracks_bundle_and_managed_settings() -> None:
    plan = plan_app(app(title="A"), local(), deployed(title="A"), record())
    assert plan.fingerprint is not None
    assert plan.fingerprint.bundle_id == "17"
    assert plan.fingerprint.settings_digest == settings_digest(
        {"name": "sales-api", "title": "A"}, ["name", "title"])
    # Unmanaged settings do not move the fingerprint; managed ones do.
    other = plan_app(app(title="A"), local(), deployed(title="A", max_processes=7), record())
    assert other.fingerprint == plan.fingerprint
    moved = plan_app(app(title="A"), local(), deployed(title="B"), record())
    assert moved.fingerprint != plan.fingerprint
    assert settings_digest({"x": 2.0}, ["x"]) == settings_digest({"x": 2}, ["x"])


def test_build_plan_reports_orphans() -> None:
    target = TargetRecord(server="https://c", apps={
        "sales-api": AppRecord(guid="g1"), "old-app": AppRecord(guid="g2")})
    one = plan_app(app(), local(), deployed(), record())
    plan = build_plan(target="staging", server="https://c", apps=[one],
                      config_keys=["sales-api"], record=target, config_digest="c")
    assert plan.orphans == ("old-app",)
    assert not plan.has_changes
    assert build_plan(target="s", server="u", apps=[], config_keys=[], record=None,
                      config_digest="").orphans == ()


def test_env_digest_is_sha256_hex() -> None:
    assert env_digest("info") == hashlib.sha256(b"info").hexdigest()
