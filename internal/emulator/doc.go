// Package emulator is an in-memory ModelArts: it implements the vendor side
// of the two DevEnviron REST APIs as one [http.Handler], so the facade can
// run and be tested without a cloud account: the old API
// (/v1/{project_id}/demanager/instances, now among the vendor's
// "Historical APIs") and the new one (/v1/{project_id}/notebooks and
// /v1/{project_id}/images, "DevEnviron (New Version)"), side by side.
//
// It is written from the vendor's API reference (paths, bodies, error codes
// and HTTP statuses), not from what the facade's client sends: a test double
// shaped by the code under test proves nothing. Where the reference is
// silent, the choice is marked "inferred" in the code.
//
// The facade's own code does not use it, with one exception: the
// devenv-facade command imports it for its embedded mode, serving it on
// loopback when no ModelArts endpoint is configured.
//
// # The old API
//
// Every answer is JSON; errors are {"error_code", "error_message"} with the
// HTTP status of the vendor's error-code table. Success is 200 (inferred:
// the reference documents no success status).
//
//   - POST /v1/{project_id}/demanager/instances (create): checks the body in
//     this order: a JSON object (else 400 ModelArts.6400; a value of the
//     wrong JSON type 400 ModelArts.6332); name required (6335), of
//     letters, digits, "-" and "_" (6334), at most 64 characters (6336);
//     description without & < > " ' / (6334), at most 512 characters
//     (6336); profile_id and flavor required (6335); flavor in the catalog
//     below (6323); a CPU or GPU profile on a flavor of the other type
//     (6330); spec.storage required (6316), its type required (6335) and
//     "obs" (6324), location.path required (6317), ending in "/" (6318),
//     below a bucket's root (6358); spec.auto_stop.duration within
//     3600-86400 when given (6349) and given when enable is true (6348);
//     pool.id required with a pool (6335); then a name already used in the
//     project (6301) and the project's instance quota (Options.InstanceQuota,
//     6302). It answers the new instance "DE-<uuid>" in CREATING; it is
//     RUNNING after [Lifecycle].Create.
//   - GET /v1/{project_id}/demanager/instances (list): de_type required
//     (6335) and "Notebook" (6336); filters status, provision_type
//     ("Docker"), workspace_id (default "0"), pool_id, ai_project and
//     show_self ("true", the default, shows [SampleUser]'s instances:
//     every caller is taken to be that user; any case); a value outside its
//     enumeration is 6336; sortby name (default) or creation_timestamp
//     (else 6303), ties broken by ID; order asc (default) or desc (else
//     6336); offset (default 0) and limit (default 0: all), 6332 if not
//     integers, 6336 if negative. It answers {"instances": [...],
//     "total_count": N}, N counting every match.
//   - GET .../instances/{instance_id} (get): the instance, or 400
//     ModelArts.6309.
//   - PUT .../instances/{instance_id} (update): description and
//     spec.auto_stop (enable, duration, prompt) with the create rules, in
//     any status; it answers the instance as stored. A duration changed
//     while RUNNING applies from the next start.
//   - POST .../instances/{instance_id}/action with {"action": "start"} or
//     {"action": "stop"} (missing: 6335; another value: 6336): it answers
//     {"current_status": "STARTING", "previous_state": "STOPPED"} (or
//     STOPPING and RUNNING). Start works from STOPPED and START_FAILED;
//     while RUNNING it is 6305, STARTING 6306, STOPPING 6308, and in any
//     other status (CREATING, CREATE_FAILED...) 6357. Stop works from
//     RUNNING; while STOPPED it is 6307, STOPPING 6308, STARTING 6306,
//     CREATING or RESIZING 6357, and in a failed status 6327.
//   - DELETE .../instances/{instance_id} (delete): 200 {"instance_id": ...};
//     the instance is gone. 6309 for an unknown instance, 6304 for a
//     running one, 6306, 6308 or 6357 while it is starting, stopping or
//     being created.
//   - Any other path or method: 404 APIGW.0101, as the API gateway in
//     front of ModelArts answers.
//
// Instances are shaped like the reference's samples: creation_timestamp and
// latest_update_timestamp are 13-digit epoch milliseconds as strings;
// spec.auto_stop.stop_timestamp (a number, also epoch milliseconds) and
// remain_time (seconds) appear while an instance with auto-stop runs;
// profile derives from profile_id and flavor_details (with its free-form
// params object) from the flavor catalog: modelarts.vm.cpu.2u,
// modelarts.vm.cpu.8u, modelarts.vm.gpu.p4, modelarts.bm.gpu.v100NV32 and
// modelarts.kat1.xlarge. Secrets ModelArts returns (spec.credential and a
// repository's connection_info.credential) appear on instances that have
// them, such as the sample [SampleCredentialInstanceID].
//
// # The new API
//
// The 22 operations of the new API, written from its reference pages and
// the fact sheet built from them (whose §9 choices the emulator follows,
// marked "inferred" in the code). Its notebooks and DEDICATED images live
// apart from the old API's instances: neither API sees the other's (§9.20).
// Errors are {"error_code", "error_msg"} (§9.1) with the status of the
// vendor's table, but for ModelArts.6768, whose "100" is no final status:
// 400. Success is 200 with the documented body (§9.22). Timestamps are JSON
// numbers of epoch milliseconds; absent fields are left out, never null.
// Each operation checks, the first failure answering: the body (6400 for
// one that is not a JSON object, 6332 for a value of the wrong type, as in
// the old API), the fields' own rules, the notebook (400 ModelArts.6309),
// its status, then the rules that need the catalogs. A query parameter of
// the wrong type is 6332, one outside its range or enumeration 6336 (enums
// match in any case).
//
//   - POST /v1/{project_id}/notebooks (create): name required (6335), of
//     letters, digits, "-" and "_" (6334), at most 128 (6336), duplicates
//     allowed; description without & < > " ' / (6334), at most 512 (6336);
//     flavor, image_id and volume required (6335); volume.category and
//     ownership required (6335), the category EVS, EFS or SFS (taken as
//     EFS) in any case (6324), the ownership MANAGED or DEDICATED (6336),
//     DEDICATED only for EFS (6336) and with uri and id (6335); an EVS
//     capacity of 5-4096 GB, default 5 (6331), an EFS one 1-4096, default
//     50 (6336); feature NOTEBOOK (default) or DEFAULT (6336); the lease:
//     the top-level duration wins over lease {duration, type}, a duration
//     of 3600000-86400000 ms (6349) or -1 for no auto-stop (§9.6), type
//     timing (default) or idle (6336); endpoints: service NOTEBOOK or SSH
//     (absent: SSH), each once, at most 5 allowed_access_ips, each an IP
//     address, key pair names not empty (6336), the 2024 names dev_service
//     and ssh_keys read too (§9.12); hooks: a script (6335), type SCRIPT
//     (an absolute path) or COMMAND (Base64), mode BLOCK or ASYNC (6336);
//     workspace_id "0" or 32 of [0-9a-z] (else 0102); pool_id 4-64 of
//     [a-z0-9-] (6336); then the flavor in the catalog (6323), free for
//     feature DEFAULT and billed for NOTEBOOK (6870), not sold out (6716),
//     offering the volume's category (6324); the image known and ACTIVE
//     (6797), of the flavor's category and architecture (6336), with the
//     NOTEBOOK service or else an SSH endpoint (6768); one DEFAULT notebook
//     per user, and Options.InstanceQuota notebooks per project (0113). It
//     answers the notebook CREATING, without url (as both create samples).
//   - GET /v1/{project_id}/notebooks (the caller's own notebooks: every
//     caller is taken to be [SampleUser]) and GET .../notebooks/all (every
//     user's): filters feature (absent: both, §9.11), name (a substring in
//     any case, checked as a name), pool_id, status (one of the 14),
//     workspaceId or workspace_id (default "0", §9.9) and, for all, owner
//     (32 of [a-z0-9]); sort_key create_at, update_at, name or status,
//     comma-separated (camelCase createTime and updateTime too; another key
//     6303), sort_dir ASC or DESC (default create_at DESC), ties broken by
//     ID; offset and limit (default 10; 0 means 10). The answer is the page
//     envelope {current, data, pages, size, total}: total every match, size
//     the limit, pages ⌈total/size⌉, current offset/size (0-based, §9.10).
//   - GET .../notebooks/{id} (show): any status. PUT (update): name and
//     hooks as in create, a description without & < > " / (' allowed),
//     flavor and image_id not empty, storage_new_size positive (6336);
//     FROZEN 6326, during another operation 6357; name, description and
//     hooks change while RUNNING or STOPPED, flavor, image_id and endpoints
//     while STOPPED, storage_new_size while RUNNING (else 6347 naming the
//     status and the field, §9.3); the flavor in the catalog (6323), one the
//     notebook may switch to (6792), not sold out (6716); the image as in
//     create; the new size for EVS only (6324), not during a resize (6357),
//     larger, at most 100 GB more and 4096 in all (6331, naming the sizes
//     allowed). DELETE: any status but FROZEN (6326) and the transitional
//     ones (6357), RUNNING included (§9.4); the notebook is DELETING, then
//     gone (6309 after, §9.5).
//   - POST .../{id}/start: from STOPPED and START_FAILED (§9.18); RUNNING
//     6305, STARTING 6306, STOPPING 6308, FROZEN 6326, any other 6357. The
//     query's duration (as create's; default an hour) and type set the
//     lease; a body is ignored. STARTING with a new token. POST .../stop:
//     from RUNNING; STARTING 6306, STOPPING 6308, FROZEN 6326, any other
//     (STOPPED included, as Huawei's clients see it) 6357. STOPPING.
//   - GET .../{id}/lease: the lease of a RUNNING notebook (else 6327).
//     PATCH: the query's duration wins over the body's LeaseReq and makes
//     the lease TIMING; none at all is 6348; the ranges as in create; a
//     RUNNING notebook (FROZEN 6326, during another operation 6357, else
//     6327). The lease is reset: its deadline becomes now + the duration,
//     not the old deadline + the duration (§9.7).
//   - GET .../notebooks/flavors: the catalog, filtered by category (CPU,
//     GPU) and type (MANAGED: all; DEDICATED: all but the free ones),
//     sorted by sort_key id, name, category, vcpus or memory (else 6303) or
//     in catalog order; no limit unless given. GET .../{id}/flavors: the
//     flavors of the notebook's architecture and feature offering its
//     volume's category, its own included; offset and limit. Both answer
//     the envelope with the flavors under data and under flavors (§9.12).
//   - POST .../{id}/create-image: name and namespace required (6335,
//     §9.14); name of [a-z0-9._-] (6334), at most 512, namespace of
//     [a-z0-9._-], at most 64, tag of [A-Za-z0-9._-], at most 64 (default
//     the time, yyyymmddhhmmss), description at most 512 (6336);
//     workspace_id as in create; a RUNNING notebook (6326, 6357, 6327); the
//     organisation, name and tag not taken (6737). The answer is the image,
//     DEDICATED, IMAGE_SAVE, INIT.
//   - GET .../notebooks/{instance_id}/storage: the notebook's OBS mounts, in
//     any status (the envelope; no paging). POST: category, mount_path and
//     uri required (6335, §9.17); category OBS or OBSFS (6324), answered as
//     OBSFS; mount_path a directory under /data/, not used yet (6336); uri
//     obs://bucket/dir (6336), not a bucket's root (6358); a RUNNING
//     notebook (6326, 6357, 6327); at most [MaxMounts] mounts (0118). The
//     mount is MOUNTING. GET .../storage/{storage_id}: the mount, or 6309.
//     DELETE: a RUNNING notebook, a mount neither MOUNTING nor UNMOUNTING
//     (6357); UNMOUNTING, then gone.
//   - GET /v1/{project_id}/images: the built-in images and the project's,
//     filtered by name (a substring unless name_fuzzy_match=false; at most
//     512 of [a-z0-9._-], 6336), namespace, service_type, type and
//     workspace_id; sorted as the notebooks; offset and limit (default 200).
//     POST (register): swr_path required (6335), [host/]organisation/name:tag
//     (6336); arch, origin, resource_category, service_type, services and
//     visibility in their enumerations (6336); description at most 512
//     (6336); workspace_id; the tag not taken (6737). The image is
//     DEDICATED and ACTIVE at once, named from its path. GET .../images/group:
//     the images that pass the same filters (type DEDICATED unless given)
//     grouped by organisation and name, with their earliest create_at,
//     latest update_at and version_count. GET .../images/{id}: the image,
//     or 400 ModelArts.6797. DELETE: a DEDICATED image of the project, gone
//     at once, answered DELETED; a built-in one 403 ModelArts.0108, one
//     being saved 6357; the query force and the body {"is_force"} both
//     accepted (§9.15).
//
// Notebooks are shaped like the reference's samples, with every field its
// response tables list or its samples show: a token (a secret, rotated by
// every start), url and a NOTEBOOK endpoint (the JupyterLab URL), the SSH
// endpoints configured (their address, host:port, which a client needs to
// connect; the token is what a facade must not pass on:
// [SampleNotebookSecrets]), action_progress while CREATING or
// STARTING (steps 4 to 1, completing as the delay passes) and after a
// failure, billing_items ["COMPUTE"] while RUNNING, user and user_id, the
// volume at /home/ma-user/work/ (status RESIZING while it grows), tags and
// data_volumes []. [SampleNotebooks] and [SampleImages] list the samples,
// which answer every sample request of the pages; the flavor catalog holds
// the samples' flavors and a few illustrative ones.
//
// # Lifecycle
//
// Status changes follow the emulator's clock (Options.Clock), computed when an
// instance is next looked at: a test advances its clock instead of
// sleeping. Create goes CREATING → RUNNING after [Lifecycle].Create, start
// STARTING → RUNNING after [Lifecycle].Start, stop STOPPING → STOPPED after
// [Lifecycle].Stop (Options.Lifecycle; [DefaultLifecycle] takes a few
// seconds). A RUNNING instance with auto-stop enabled becomes STOPPED once
// it has run for its duration. [Server.Instance] and [Server.Instances]
// show the state as of the clock's now; [Instance.Next] is the pending
// change.
//
// Tests drive failures by name: an instance created with a name starting
// with [FailCreatePrefix] ("fail-create") ends CREATE_FAILED, and one named
// with [FailStartPrefix] ("fail-start") ends START_FAILED after each start,
// both with spec.failed_reasons {code, message, detail}.
//
// The new API's notebooks follow the same clock: CREATING → RUNNING after
// [Lifecycle].Create, STARTING → RUNNING after [Lifecycle].Start, STOPPING →
// STOPPED after [Lifecycle].Stop, DELETING → gone after [Lifecycle].Delete;
// saving an image makes the notebook SNAPSHOTTING and the image INIT, the
// image CREATING after half of [Lifecycle].Snapshot, then ACTIVE and the
// notebook RUNNING again; a mount is MOUNTING → MOUNTED after
// [Lifecycle].Mount, UNMOUNTING → gone after [Lifecycle].Unmount; a growing
// EVS volume RESIZING for [Lifecycle].Resize. Names with
// [FailCreatePrefix], [FailStartPrefix] and [FailDeletePrefix] end
// CREATE_FAILED, START_FAILED and DELETE_FAILED (with fail_reason), images
// with [FailImagePrefix] CREATE_FAILED, mounts under /data/ +
// [FailMountPrefix] MOUNT_FAILED.
//
// The lease (fact sheet §4): its deadline is create_at + duration. Each
// (re)arm at time t sets update_at = t and duration = (t − create_at) +
// D, so that the deadline is t + D, D the requested duration: at create,
// again when the notebook reaches RUNNING after a create or a start, at
// start (D = the query's duration, or an hour), at stop (as the samples
// show) and at renewal. A RUNNING notebook with an enabled TIMING lease
// stops by itself at its deadline: STOPPING then, STOPPED after
// [Lifecycle].Stop. An IDLE lease is stored and never stops a notebook
// (§9.23). [Server.Notebook], [Server.Notebooks] and [Server.Image] show
// the state as of the clock's now.
//
// # Authentication
//
//   - Token authentication: 401 ModelArts.0205 without X-Auth-Token (or a
//     signature); with Options.Tokens or IAMUsers, 401 ModelArts.0203
//     for an unknown token, 401 ModelArts.0202 for an expired one and 403
//     ModelArts.0210 for a token scoped to another project; 400
//     ModelArts.0210 for a malformed project ID.
//   - AK/SK authentication (Options.AccessKeys): SDK-HMAC-SHA256 signatures
//     in both wire forms ("Access=" and "Credential="), verified by an
//     implementation of its own; 401 ModelArts.0206 for a malformed
//     Authorization header, 401 ModelArts.0208 for a missing or skewed
//     X-Sdk-Date, 403 ModelArts.0206 for an unknown key or a wrong
//     signature.
//   - IAM: POST /v3/auth/tokens with the password method (Options.IAMUsers)
//     issues project-scoped tokens (201, X-Subject-Token) that expire after
//     Options.TokenLifetime. GET (or HEAD) /v3/auth/tokens validates a token
//     as Keystone does: X-Subject-Token is the token to check, X-Auth-Token
//     a valid token allowed to check it (the same token: a user checks its
//     own); 200 with X-Subject-Token echoed and the token's project and
//     expiry, 404 for an unknown or expired subject, 401 without a valid
//     X-Auth-Token, 403 for another user's token.
//
// The new API's routes check credentials alike, their errors saying
// error_msg.
//
// # Faults
//
// Fault injection (latency, error answers, throttling, connection resets,
// stalls, truncated and non-JSON bodies, N failures then success) works on
// every endpoint of both APIs: per request (header X-Emulator-Fault),
// globally (Options.Fault, PUT /emulator/faults), per instance, notebook or
// image ID "fault-<spec>" and per created name "fault-<spec>": see
// [CheckFault]. Fault answers on the new API say error_msg.
//
// Configuration follows package options: [Options] is a struct whose zero
// fields mean their defaults, which New fills in and checks in one
// place.
package emulator
