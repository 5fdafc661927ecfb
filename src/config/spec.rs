//! What `.terrateam/config.yml` may contain: Terrateam's published schema (same keys, same
//! nesting), as a tree the validator walks. Keys only Terraform uses are accepted and ignored with
//! a notice; keys Terrateam does not know are warnings (errors with --strict) unless they are a
//! typo of a known key, which is always an error.

#[derive(Debug, Clone)]
pub enum Spec {
    Any,
    Bool,
    Int,
    Str,
    Enum(&'static [&'static str]),
    StrList,
    Obj(Vec<(&'static str, Spec)>),
    /// A map with free keys (dirs, tags, env).
    Map(Box<Spec>),
    List(Box<Spec>),
    /// A string or an object.
    StrOr(Box<Spec>),
    /// One of several objects, chosen by the value of `type` (hooks and steps).
    Typed(Vec<(&'static str, Spec)>),
    /// Accepted for Terrateam compatibility, meaningless for schema pipelines.
    Ignored,
}

use Spec::*;

fn obj(v: Vec<(&'static str, Spec)>) -> Spec {
    Obj(v)
}

pub fn when_modified() -> Spec {
    obj(vec![
        ("file_patterns", StrList),
        ("autoplan", Bool),
        ("autoplan_draft_pr", Bool),
        ("autoapply", Bool),
        ("depends_on", StrOr(Box::new(obj(vec![("tag_query", Str), ("prune_on_no_change", Bool)])))),
    ])
}

fn gate() -> Spec {
    obj(vec![("token", Str), ("name", Str), ("all_of", StrList), ("any_of", StrList), ("any_of_count", Int)])
}

fn env_map() -> Spec {
    Map(Box::new(Str))
}

/// Hook operations (also valid as workflow steps).
fn hook_ops() -> Vec<(&'static str, Spec)> {
    vec![
        (
            "run",
            obj(vec![
                ("type", Str),
                ("cmd", StrList),
                ("env", env_map()),
                ("run_on", Enum(&["success", "failure", "always"])),
                ("ignore_errors", Bool),
                ("capture_output", Bool),
                ("visible_on", Enum(&["always", "failure", "success"])),
                ("format", Any),
                ("on_error", Any),
                ("gate", gate()),
            ]),
        ),
        (
            "env",
            obj(vec![
                ("type", Str),
                ("name", Str),
                ("cmd", StrList),
                ("method", Enum(&["exec", "source"])),
                ("sensitive", Bool),
                ("trim_trailing_newlines", Bool),
            ]),
        ),
        (
            "oidc",
            obj(vec![
                ("type", Str),
                ("provider", Enum(&["aws", "gcp", "azure"])),
                ("role_arn", Str),
                ("audience", Str),
                ("region", Str),
                ("session_name", Str),
                ("duration", Int),
                ("assume_role_arn", Str),
                ("assume_role_enabled", Bool),
                ("service_account", Str),
                ("workload_identity_provider", Str),
                ("project_id", Str),
                ("access_token_lifetime", Int),
                ("access_token_subject", Str),
                ("client_id", Str),
                ("tenant_id", Str),
                ("subscription_id", Str),
            ]),
        ),
        ("slack", obj(vec![("type", Str), ("msg", Str), ("run_on", Enum(&["success", "failure", "always"]))])),
        ("gates", obj(vec![("type", Str), ("cmd", StrList), ("env", env_map()), ("run_on", Enum(&["success", "failure", "always"]))])),
        ("drift_create_issue", obj(vec![("type", Str), ("group_by", Enum(&["all", "dirspace"]))])),
    ]
}

fn hook_list() -> Spec {
    obj(vec![("pre", List(Box::new(Typed(hook_ops())))), ("post", List(Box::new(Typed(hook_ops()))))])
}

fn steps() -> Spec {
    let tf = |extra: Vec<(&'static str, Spec)>| {
        let mut v = vec![("type", Str), ("env", env_map()), ("extra_args", StrList)];
        v.extend(extra);
        obj(v)
    };
    let policy = || {
        obj(vec![
            ("type", Str),
            ("env", env_map()),
            ("extra_args", StrList),
            ("gate", gate()),
            ("ignore_errors", Bool),
            ("run_on", Enum(&["success", "failure", "always"])),
            ("visible_on", Enum(&["always", "failure", "success"])),
            ("fail_on", Enum(&["defined", "undefined"])),
        ])
    };
    let mut ops = vec![
        ("init", tf(vec![])),
        ("plan", tf(vec![("mode", Enum(&["strict", "fast-and-loose"]))])),
        ("apply", tf(vec![("retry", obj(vec![("enabled", Bool), ("tries", Int), ("initial_sleep", Int), ("backoff", Any)]))])),
        ("conftest", policy()),
        ("opa", policy()),
        ("checkov", policy()),
    ];
    ops.extend(hook_ops().into_iter().filter(|(k, _)| *k != "drift_create_issue"));
    List(Box::new(Typed(ops)))
}

fn approved() -> Spec {
    obj(vec![
        ("enabled", Bool),
        ("any_of", StrList),
        ("any_of_count", Int),
        ("all_of", StrList),
        ("count", Int),
        ("require_completed_reviews", Bool),
    ])
}

fn check() -> Spec {
    obj(vec![
        ("tag_query", Str),
        ("approved", approved()),
        ("merge_conflicts", obj(vec![("enabled", Bool)])),
        ("status_checks", obj(vec![("enabled", Bool), ("ignore_matching", StrList)])),
        ("require_ready_for_review_pr", Bool),
        ("apply_after_merge", obj(vec![("enabled", Bool)])),
    ])
}

pub fn root() -> Spec {
    obj(vec![
        ("version", Str),
        ("enabled", Bool),
        ("when_modified", when_modified()),
        (
            "dirs",
            Map(Box::new(obj(vec![
                ("tags", StrList),
                ("when_modified", when_modified()),
                ("workspaces", Map(Box::new(obj(vec![("tags", StrList), ("when_modified", when_modified())])))),
                ("stacks", Any),
                ("create_and_select_workspace", Ignored),
                ("create_if_missing", Bool),
                ("lock_branch_target", Enum(&["all", "dest_branch"])),
            ]))),
        ),
        (
            "workflows",
            List(Box::new(obj(vec![
                ("tag_query", Str),
                ("plan", steps()),
                ("apply", steps()),
                ("environment", Str),
                ("lock_policy", Enum(&["strict", "apply", "merge", "none"])),
                ("runs_on", Any),
                ("engine", Ignored),
                ("integrations", Ignored),
                ("cdktf", Ignored),
                ("terragrunt", Ignored),
                ("terraform_version", Ignored),
            ]))),
        ),
        ("hooks", obj(vec![("all", hook_list()), ("plan", hook_list()), ("apply", hook_list())])),
        (
            "apply_requirements",
            obj(vec![
                ("create_pending_apply_check", Bool),
                ("create_completed_apply_check_on_noop", Bool),
                ("checks", Any),
            ]),
        ),
        ("access_control", Any),
        (
            "automerge",
            obj(vec![
                ("enabled", Bool),
                ("delete_branch", Bool),
                ("merge_strategy", Enum(&["auto", "merge", "rebase", "squash"])),
                ("require_explicit_apply", Bool),
                ("retain_pr_title", Bool),
            ]),
        ),
        (
            "drift",
            obj(vec![
                ("enabled", Bool),
                ("schedule", Enum(&["hourly", "daily", "weekly", "monthly"])),
                ("reconcile", Bool),
                ("tag_query", Str),
                (
                    "schedules",
                    Map(Box::new(obj(vec![
                        ("schedule", Enum(&["hourly", "daily", "weekly", "monthly"])),
                        ("tag_query", Str),
                        ("reconcile", Bool),
                        ("window", obj(vec![("start", Str), ("end", Str)])),
                    ]))),
                ),
            ]),
        ),
        ("tags", obj(vec![("branch", Map(Box::new(Str))), ("dest_branch", Map(Box::new(Str)))])),
        ("destination_branches", List(Box::new(StrOr(Box::new(obj(vec![("branch", Str), ("source_branches", StrList)])))))),
        ("default_branch_overrides", StrList),
        ("notifications", Any),
        ("parallel_runs", Int),
        ("definitions", Any),
        // Terraform-only: accepted and ignored.
        ("engine", Ignored),
        ("default_tf_version", Ignored),
        ("cost_estimation", Ignored),
        ("indexer", Ignored),
        ("storage", Ignored),
        ("batch_runs", Ignored),
        ("integrations", Ignored),
        ("create_and_select_workspace", Ignored),
        ("config_builder", Ignored),
        ("tree_builder", Ignored),
        ("stacks", Ignored),
        ("checkout_strategy", Ignored),
    ])
}

/// The check list's item spec, used for `apply_requirements.checks` in its list form.
pub fn requirement_check() -> Spec {
    check()
}
