// What only the SQLite backend promises: its settings, its schema version, the append-only
// triggers, and that a tampered audit log is detected.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "store/sqlite/sqlite_store.h"

namespace lachan::store {
namespace {

// What version 5 added (incidents, evidence, outbox, subscriptions, stream): dropped to get back
// to a version 4 database.
#define V5_UNDO                                                                                              \
  "DROP INDEX warnings_severity", "DROP INDEX warnings_first_seen", "DROP INDEX warnings_state",           \
      "DROP INDEX warnings_seen_rule", "DROP TABLE stream_event_orgs", "DROP TABLE stream_events", "DROP TABLE subscriptions",                  \
      "DROP TABLE notification_deliveries", "DROP TABLE notifications", "DROP TABLE evidence_custody",     \
      "DROP TABLE evidence", "DROP TABLE incident_links", "DROP TABLE incident_timeline",                  \
      "DROP TABLE incident_observables", "DROP TABLE incident_tasks", "DROP TABLE incident_warnings",      \
      "DROP TABLE incident_changes", "DROP TABLE incident_affected", "DROP TABLE incident_routes",         \
      "DROP TABLE incidents",

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "lachan-sqlite-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = (dir_ / "lachan.db").string();
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  // Runs SQL on a raw connection of its own; returns the first column of the first row.
  std::string raw(const std::string& sql, int* rc_out = nullptr) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    std::string out;
    int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr);
    if (rc == SQLITE_OK) {
      rc = sqlite3_step(s);
      if (rc == SQLITE_ROW) {
        const unsigned char* t = sqlite3_column_text(s, 0);
        out = t ? reinterpret_cast<const char*>(t) : "";
        rc = SQLITE_OK;
      } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
      }
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    if (rc_out) *rc_out = rc;
    return out;
  }
  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(SqliteStoreTest, UsesWalAndRecordsTheSchemaVersion) {
  auto s = open_sqlite_store(path_);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(raw("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw("SELECT MAX(version) FROM schema_version"), "6");
  ASSERT_TRUE((*s)->close());
  // Reopening applies nothing twice.
  auto again = open_sqlite_store(path_);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(raw("SELECT COUNT(*) FROM schema_version"), "6");
}

TEST_F(SqliteStoreTest, NewerSchemaIsRefused) {
  { ASSERT_TRUE(open_sqlite_store(path_)); }
  raw("INSERT INTO schema_version (version) VALUES (99)");
  auto s = open_sqlite_store(path_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::unsupported);
}

TEST_F(SqliteStoreTest, VersionOneDatabaseGainsKeyRevocationTimes) {
  std::string plaintext;
  {
    auto s = open_sqlite_store(path_);
    ASSERT_TRUE(s) << s.error().message;
    Organisation o;
    o.id = "evn";
    ASSERT_TRUE((*s)->upsert_organisations({o}));
    auto k = (*s)->create_api_key("evn", Role::viewer, "old");
    ASSERT_TRUE(k);
    plaintext = k->plaintext;
    ASSERT_TRUE((*s)->close());
  }
  // Back to the version 1 schema, as a database written by an older build.
  int rc = 0;
  for (const char* undo : {V5_UNDO "DROP TABLE intel_records", "DROP TABLE intel_sightings", "DROP TABLE named_state",
                           "DROP TABLE warning_evidence", "ALTER TABLE warnings DROP COLUMN evidence_count",
                           "ALTER TABLE api_keys DROP COLUMN revoked_at", "DELETE FROM schema_version WHERE version > 1"}) {
    raw(undo, &rc);
    ASSERT_EQ(rc, SQLITE_OK) << undo;
  }

  auto s = open_sqlite_store(path_);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(raw("SELECT MAX(version) FROM schema_version"), "6");
  EXPECT_TRUE((*s)->authenticate_api_key(plaintext));
  auto keys = (*s)->list_api_keys("evn");
  ASSERT_TRUE(keys);
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_FALSE((*keys)[0].revoked);
  EXPECT_EQ((*keys)[0].revoked_at, 0);
}

// Version 2 kept a warning's evidence as one JSON list in warnings.evidence; version 3 moves it
// into rows of warning_evidence, and later detections append to them.
TEST_F(SqliteStoreTest, VersionTwoEvidenceMovesIntoRows) {
  Caller viewer{"key:v", "evn", Role::viewer};
  std::int64_t id = 0;
  {
    auto s = open_sqlite_store(path_);
    ASSERT_TRUE(s) << s.error().message;
    Organisation o;
    o.id = "evn";
    ASSERT_TRUE((*s)->upsert_organisations({o}));
    Warning w;
    w.org_id = "evn";
    w.detector = "sigma";
    w.rule_id = "r1";
    w.rule_title = "t";
    w.dedup_key = "k1";
    w.first_seen = w.last_seen = 1000;
    auto out = (*s)->apply_warnings({WarningUpsert{w, 60'000}}, Checkpoint{"warn", 1});
    ASSERT_TRUE(out) << out.error().message;
    id = out->at(0).warning_id;
    ASSERT_TRUE((*s)->close());
  }
  // As version 2 wrote it: two events, one with a quote and non-ASCII text.
  int rc = 0;
  for (const char* undo : {V5_UNDO "DROP TABLE intel_records", "DROP TABLE intel_sightings", "DROP TABLE named_state",
                           "DROP TABLE warning_evidence", "ALTER TABLE warnings DROP COLUMN evidence_count",
                           "UPDATE warnings SET evidence = '[\"{\\\"n\\\":1}\",\"{\\\"s\\\":\\\"Hà Nội\\\"}\"]'",
                           "DELETE FROM schema_version WHERE version > 2"}) {
    raw(undo, &rc);
    ASSERT_EQ(rc, SQLITE_OK) << undo;
  }
  auto s = open_sqlite_store(path_);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(raw("SELECT MAX(version) FROM schema_version"), "6");
  auto got = (*s)->get_warning(viewer, id);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->evidence, (std::vector<std::string>{R"({"n":1})", R"({"s":"Hà Nội"})"}));
  Warning more;
  more.org_id = "evn";
  more.detector = "sigma";
  more.rule_id = "r1";
  more.rule_title = "t";
  more.dedup_key = "k1";
  more.first_seen = more.last_seen = 2000;
  more.evidence = {R"({"n":3})"};
  auto out = (*s)->apply_warnings({WarningUpsert{more, 60'000}}, Checkpoint{"warn", 2});
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->at(0).warning_id, id);
  got = (*s)->get_warning(viewer, id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->count, 2);
  EXPECT_EQ(got->evidence, (std::vector<std::string>{R"({"n":1})", R"({"s":"Hà Nội"})", R"({"n":3})"}));
}

TEST_F(SqliteStoreTest, UnopenablePathIsIo) {
  auto s = open_sqlite_store((dir_ / "missing" / "dir" / "x.db").string());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::io);
}

TEST_F(SqliteStoreTest, AuditLogRefusesUpdatesAndTamperingIsDetected) {
  auto s = open_sqlite_store(path_);
  ASSERT_TRUE(s);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE((*s)->append_audit(AuditEntry{0, 1000 + i, "user:a", "evn", "x", "t", "{}"}));
  }
  EXPECT_EQ((*s)->verify_audit_chain().value(), 3);
  int rc = 0;
  raw("UPDATE audit_log SET actor = 'user:b' WHERE id = 2", &rc);
  EXPECT_NE(rc, SQLITE_OK);
  raw("DELETE FROM audit_log WHERE id = 2", &rc);
  EXPECT_NE(rc, SQLITE_OK);
  EXPECT_EQ((*s)->verify_audit_chain().value(), 3);

  // Someone with the file can drop the trigger; the chain still tells.
  raw("DROP TRIGGER audit_log_no_update", &rc);
  ASSERT_EQ(rc, SQLITE_OK);
  raw("UPDATE audit_log SET actor = 'user:b' WHERE id = 2", &rc);
  ASSERT_EQ(rc, SQLITE_OK);
  auto v = (*s)->verify_audit_chain();
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, Errc::conflict);
  EXPECT_NE(v.error().message.find("entry 2"), std::string::npos) << v.error().message;
}

TEST_F(SqliteStoreTest, RemovedAuditEntryIsDetected) {
  auto s = open_sqlite_store(path_);
  ASSERT_TRUE(s);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE((*s)->append_audit(AuditEntry{0, 1000 + i, "user:a", "evn", "x", "t", "{}"}));
  }
  int rc = 0;
  raw("DROP TRIGGER audit_log_no_delete", &rc);
  ASSERT_EQ(rc, SQLITE_OK);
  raw("DELETE FROM audit_log WHERE id = 2", &rc);
  ASSERT_EQ(rc, SQLITE_OK);
  auto v = (*s)->verify_audit_chain();
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, Errc::conflict);
}

// Version 5 only adds tables: a version 4 database keeps its warnings and audit chain, and an
// incident can be escalated from a warning stored before the migration.
TEST_F(SqliteStoreTest, VersionFourDatabaseGainsIncidentsAndOutbox) {
  Caller analyst{"user:an", "evn", Role::analyst};
  std::int64_t warning_id = 0;
  {
    auto s = open_sqlite_store(path_);
    ASSERT_TRUE(s) << s.error().message;
    Organisation o;
    o.id = "evn";
    ASSERT_TRUE((*s)->upsert_organisations({o}));
    Warning w;
    w.org_id = "evn";
    w.detector = "sigma";
    w.rule_id = "r1";
    w.rule_title = "t";
    w.dedup_key = "k1";
    w.first_seen = w.last_seen = 1000;
    auto out = (*s)->apply_warnings({WarningUpsert{w, 60'000}}, Checkpoint{"warn", 1});
    ASSERT_TRUE(out) << out.error().message;
    warning_id = out->at(0).warning_id;
    ASSERT_TRUE((*s)->append_audit(AuditEntry{0, 1000, "user:a", "evn", "x", "t", "{}"}));
    ASSERT_TRUE((*s)->close());
  }
  int rc = 0;
  for (const char* undo : {V5_UNDO "DELETE FROM schema_version WHERE version > 4"}) {
    raw(undo, &rc);
    ASSERT_EQ(rc, SQLITE_OK) << undo;
  }
  ASSERT_EQ(raw("SELECT COUNT(*) FROM sqlite_master WHERE name = 'incidents'"), "0");

  auto s = open_sqlite_store(path_);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(raw("SELECT MAX(version) FROM schema_version"), "6");
  EXPECT_EQ((*s)->verify_audit_chain().value(), 1);
  NewIncident n;
  n.title = "Ransomware at EVN";
  n.affected_orgs = {"evn"};
  n.warning_ids = {warning_id};
  auto inc = (*s)->create_incident(analyst, n, SlaPolicy{}, 1'790'000'000'000);  // 2026-09-21
  ASSERT_TRUE(inc) << inc.error().message;
  EXPECT_EQ(inc->ref, "LC-2026-000001");
  EXPECT_EQ(inc->warning_ids, std::vector<std::int64_t>{warning_id});
  NewNotification note;
  note.destination = "soc@evn.vn";
  note.org_id = "evn";
  note.payload = "{}";
  note.dedup_key = "d1";
  auto q = (*s)->enqueue_notifications({note}, 1);
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_TRUE(q->at(0).created);
  EXPECT_EQ((*s)->verify_audit_chain().value(), 2);  // the creation is audited on the same chain
}

TEST_F(SqliteStoreTest, VersionFiveGainsSubscriptionLanguagesAndIncidentSourceKeys) {
  Caller admin{"user:root", "evn", Role::admin};
  {
    auto s = open_sqlite_store(path_);
    ASSERT_TRUE(s) << s.error().message;
    Organisation o;
    o.id = "evn";
    ASSERT_TRUE((*s)->upsert_organisations({o}));
    Subscription sub;
    sub.topics = {SubscriptionTopic::warnings};
    sub.destination = "soc@evn.vn";
    ASSERT_TRUE((*s)->create_subscription(admin, sub, 1000));
    ASSERT_TRUE((*s)->close());
  }
  int rc = 0;
  for (const char* undo :
       {"ALTER TABLE subscriptions DROP COLUMN language", "DROP INDEX incidents_source_key",
        "ALTER TABLE incidents DROP COLUMN source_key", "DROP INDEX warnings_severity", "DROP INDEX warnings_first_seen",
        "DROP INDEX warnings_state", "DROP INDEX warnings_seen_rule", "DELETE FROM schema_version WHERE version > 5"}) {
    raw(undo, &rc);
    ASSERT_EQ(rc, SQLITE_OK) << undo;
  }
  auto s = open_sqlite_store(path_);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(raw("SELECT MAX(version) FROM schema_version"), "6");
  auto subs = (*s)->list_subscriptions(admin);
  ASSERT_TRUE(subs) << subs.error().message;
  ASSERT_EQ(subs->size(), 1u);
  EXPECT_EQ((*subs)[0].language, "");  // the notifier's default
  auto changed = (*subs)[0];
  changed.language = "en";
  ASSERT_TRUE((*s)->update_subscription(admin, changed, 2000));
  EXPECT_EQ((*s)->get_subscription(admin, changed.id).value().language, "en");
  changed.language = "fr";
  auto bad = (*s)->update_subscription(admin, changed, 3000);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::malformed);
  EXPECT_NE(bad.error().message.find("language"), std::string::npos);
}

TEST_F(SqliteStoreTest, CustodyLogRefusesChangesAndTamperingIsDetected) {
  auto s = open_sqlite_store(path_);
  ASSERT_TRUE(s);
  Organisation o;
  o.id = "evn";
  ASSERT_TRUE((*s)->upsert_organisations({o}));
  Caller analyst{"user:an", "evn", Role::analyst};
  NewIncident n;
  n.title = "Leak";
  n.affected_orgs = {"evn"};
  auto inc = (*s)->create_incident(analyst, n, SlaPolicy{}, 1000);
  ASSERT_TRUE(inc) << inc.error().message;
  auto ev = (*s)->add_evidence(analyst, inc->id, NewEvidence{std::string(64, 'a'), "mail.eml", "message/rfc822", 10},
                               "10.0.0.1", 2000);
  ASSERT_TRUE(ev) << ev.error().message;
  ASSERT_TRUE((*s)->record_custody(analyst, ev->id, CustodyAction::download, "10.0.0.2", 3000));
  ASSERT_TRUE((*s)->record_custody(analyst, ev->id, CustodyAction::export_, "10.0.0.3", 4000));
  EXPECT_EQ((*s)->verify_custody_chain().value(), 3);

  int rc = 0;
  raw("UPDATE evidence_custody SET remote = '1.2.3.4' WHERE id = 2", &rc);
  EXPECT_NE(rc, SQLITE_OK);
  raw("DELETE FROM evidence_custody WHERE id = 2", &rc);
  EXPECT_NE(rc, SQLITE_OK);
  EXPECT_EQ((*s)->verify_custody_chain().value(), 3);

  raw("DROP TRIGGER evidence_custody_no_update", &rc);
  ASSERT_EQ(rc, SQLITE_OK);
  raw("UPDATE evidence_custody SET remote = '1.2.3.4' WHERE id = 2", &rc);
  ASSERT_EQ(rc, SQLITE_OK);
  auto v = (*s)->verify_custody_chain();
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, Errc::conflict);
  EXPECT_NE(v.error().message.find("entry 2"), std::string::npos) << v.error().message;
}

TEST_F(SqliteStoreTest, RemovedCustodyEntryIsDetected) {
  auto s = open_sqlite_store(path_);
  ASSERT_TRUE(s);
  Organisation o;
  o.id = "evn";
  ASSERT_TRUE((*s)->upsert_organisations({o}));
  Caller analyst{"user:an", "evn", Role::analyst};
  NewIncident n;
  n.title = "Leak";
  n.affected_orgs = {"evn"};
  auto inc = (*s)->create_incident(analyst, n, SlaPolicy{}, 1000);
  ASSERT_TRUE(inc);
  auto ev = (*s)->add_evidence(analyst, inc->id, NewEvidence{std::string(64, 'b'), "x.pcap", "application/pcap", 1},
                               "10.0.0.1", 2000);
  ASSERT_TRUE(ev);
  for (int i = 0; i < 2; ++i) ASSERT_TRUE((*s)->record_custody(analyst, ev->id, CustodyAction::view, "h", 3000 + i));
  int rc = 0;
  raw("DROP TRIGGER evidence_custody_no_delete", &rc);
  ASSERT_EQ(rc, SQLITE_OK);
  raw("DELETE FROM evidence_custody WHERE id = 2", &rc);
  ASSERT_EQ(rc, SQLITE_OK);
  auto v = (*s)->verify_custody_chain();
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, Errc::conflict);
}

}  // namespace
}  // namespace lachan::store
