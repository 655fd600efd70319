#!/usr/bin/python3
"""mongo_server.py: a MongoDB server for the tests, speaking the wire protocol.

    /usr/bin/python3 test/mongo_server.py [--port N] [--user U --password P]
                                          [--auth-db admin]

Listens on 127.0.0.1 (port 0: the system picks one) and prints the port as
the first line of standard output.  Runs until SIGTERM or SIGINT, or until
its standard input is a pipe and reaches end of file.

The wire protocol: OP_MSG (body and document sequence sections, checksum
ignored, moreToCome honoured) and the legacy OP_QUERY on "<db>.$cmd" that
drivers use for their first hello, answered with OP_REPLY.  Documents are
encoded and decoded by pymongo's bson module; the data is kept by
mongomock, which evaluates queries, updates and aggregation pipelines.

Commands: hello/isMaster/ismaster, ping, buildInfo, endSessions, insert,
find, getMore, killCursors, update, delete, aggregate, listCollections,
drop, plus create, createIndexes, listIndexes, count, listDatabases and
dropDatabase.  With --user and --password, SCRAM-SHA-256 authentication
(saslStart/saslContinue) on --auth-db, and every command but hello, ping,
buildInfo and the SASL ones needs it, as on a real server; a wrong password
is "Authentication failed." (code 18).  Errors are MongoDB error documents
{ok: 0, errmsg, code, codeName}.

Python's standard library and the Debian packages python3-pymongo and
python3-mongomock only: run it with /usr/bin/python3.
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import os
import random
import signal
import socketserver
import stat
import struct
import sys
import threading

import bson
from bson.codec_options import CodecOptions
from bson.int64 import Int64
from bson.objectid import ObjectId
import mongomock

OP_REPLY = 1
OP_QUERY = 2004
OP_MSG = 2013

VERSION = "7.0.0"
MAX_WIRE_VERSION = 21
MAX_BSON = 16 * 1024 * 1024
MAX_MESSAGE = 48000000
DEFAULT_BATCH = 101

CODEC = CodecOptions(document_class=dict, tz_aware=True)

CODE_NAMES = {
    2: "BadValue", 8: "UnknownError", 13: "Unauthorized", 18: "AuthenticationFailed",
    26: "NamespaceNotFound", 43: "CursorNotFound", 59: "CommandNotFound",
    11000: "DuplicateKey", 14: "TypeMismatch", 238: "NotImplemented",
}


class CommandError(Exception):
    """A command failure, returned to the client as {ok: 0, errmsg, code}."""

    def __init__(self, errmsg, code=8):
        super().__init__(errmsg)
        self.errmsg = errmsg
        self.code = code


def error_doc(errmsg, code):
    return {"ok": 0.0, "errmsg": errmsg, "code": code,
            "codeName": CODE_NAMES.get(code, "UnknownError")}


class State:
    """Everything the connections share: the data, the cursors, the users."""

    def __init__(self, user, password, auth_db):
        self.lock = threading.RLock()
        self.client = mongomock.MongoClient()
        self.cursors = {}          # id -> (ns, list of remaining documents)
        self.user = user
        self.password = password
        self.auth_db = auth_db
        self.next_conn = 1
        if user is not None:
            self.salt = os.urandom(28)  # what servers use for SHA-256; drivers check it
            self.iterations = 4096
            salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"),
                                         self.salt, self.iterations)
            client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
            self.stored_key = hashlib.sha256(client_key).digest()
            self.server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()


STATE = None


def id_first(docs):
    """The documents with _id first: mongomock appends it after projections
    and in $group results, MongoDB puts it first."""
    return [dict([("_id", d["_id"])] + [kv for kv in d.items() if kv[0] != "_id"])
            if "_id" in d else d for d in docs]


def scram_attrs(msg):
    """The attributes of a SCRAM message "a=...,b=..." as a dict."""
    out = {}
    for part in msg.split(","):
        if len(part) >= 2 and part[1] == "=":
            out[part[0]] = part[2:]
    return out


class Connection:
    """One client connection: its authentication and SASL conversation."""

    NO_AUTH = {"hello", "ismaster", "buildinfo", "ping", "saslstart", "saslcontinue",
               "endsessions", "whatsmyuri", "getnonce"}

    def __init__(self):
        with STATE.lock:
            self.id = STATE.next_conn
            STATE.next_conn += 1
        self.authenticated = STATE.user is None
        self.sasl = None

    # ---- dispatch ----------------------------------------------------

    def run(self, cmd, db):
        """Run one command; returns the reply document."""
        if not cmd:
            return error_doc("empty command", 2)
        name = next(iter(cmd))
        lname = name.lower()
        if not self.authenticated and lname not in self.NO_AUTH:
            return error_doc("command %s requires authentication" % name, 13)
        handler = getattr(self, "cmd_" + lname, None)
        if handler is None:
            return error_doc("no such command: '%s'" % name, 59)
        try:
            with STATE.lock:
                reply = handler(cmd, db, cmd[name])
        except CommandError as e:
            return error_doc(e.errmsg, e.code)
        except NotImplementedError as e:
            return error_doc("not implemented by the test server: %s" % e, 238)
        except Exception as e:  # mongomock's OperationFailure and the like
            code = getattr(e, "code", None) or 8
            return error_doc(str(e), code)
        reply.setdefault("ok", 1.0)
        return reply

    # ---- handshake and server facts ------------------------------------

    def cmd_hello(self, cmd, db, arg, legacy=False):
        reply = {
            "helloOk": True,
            "isWritablePrimary": True,
            "maxBsonObjectSize": MAX_BSON,
            "maxMessageSizeBytes": MAX_MESSAGE,
            "maxWriteBatchSize": 100000,
            "localTime": datetime.datetime.now(datetime.timezone.utc),
            "logicalSessionTimeoutMinutes": 30,
            "connectionId": self.id,
            "minWireVersion": 0,
            "maxWireVersion": MAX_WIRE_VERSION,
            "readOnly": False,
        }
        if legacy:
            reply["ismaster"] = True
            del reply["isWritablePrimary"]
        if STATE.user is not None and "saslSupportedMechs" in cmd:
            reply["saslSupportedMechs"] = ["SCRAM-SHA-256"]
        return reply

    def cmd_ismaster(self, cmd, db, arg):
        return self.cmd_hello(cmd, db, arg, legacy=True)

    def cmd_ping(self, cmd, db, arg):
        return {}

    def cmd_buildinfo(self, cmd, db, arg):
        return {"version": VERSION, "versionArray": [int(x) for x in VERSION.split(".")] + [0],
                "gitVersion": "asp-test-server", "maxBsonObjectSize": MAX_BSON,
                "bits": 64, "debug": False}

    def cmd_endsessions(self, cmd, db, arg):
        return {}

    def cmd_whatsmyuri(self, cmd, db, arg):
        return {"you": "127.0.0.1"}

    # ---- SCRAM-SHA-256 ----------------------------------------------

    def auth_failed(self):
        self.sasl = None
        raise CommandError("Authentication failed.", 18)

    def cmd_saslstart(self, cmd, db, arg):
        if STATE.user is None:
            raise CommandError("Authentication is not enabled on this test server", 2)
        if cmd.get("mechanism") != "SCRAM-SHA-256" or db != STATE.auth_db:
            self.auth_failed()
        msg = bytes(cmd.get("payload", b"")).decode("utf-8", "replace")
        if not msg.startswith("n,,"):
            self.auth_failed()
        first_bare = msg[3:]
        attrs = scram_attrs(first_bare)
        user = attrs.get("n", "").replace("=2C", ",").replace("=3D", "=")
        cnonce = attrs.get("r", "")
        if user != STATE.user or not cnonce:
            self.auth_failed()
        nonce = cnonce + base64.b64encode(os.urandom(18)).decode()
        server_first = "r=%s,s=%s,i=%d" % (nonce, base64.b64encode(STATE.salt).decode(),
                                           STATE.iterations)
        opts = cmd.get("options") or {}
        self.sasl = {"first_bare": first_bare, "server_first": server_first,
                     "nonce": nonce, "step": 1,
                     "skip_empty": bool(opts.get("skipEmptyExchange"))}
        return {"conversationId": 1, "done": False, "payload": server_first.encode()}

    def cmd_saslcontinue(self, cmd, db, arg):
        if self.sasl is None:
            self.auth_failed()
        payload = bytes(cmd.get("payload", b"")).decode("utf-8", "replace")
        if self.sasl["step"] == 2:
            self.sasl = None
            return {"conversationId": 1, "done": True, "payload": b""}
        attrs = scram_attrs(payload)
        if attrs.get("r") != self.sasl["nonce"] or "p" not in attrs:
            self.auth_failed()
        without_proof = payload[:payload.rindex(",p=")]
        auth_message = ",".join([self.sasl["first_bare"], self.sasl["server_first"],
                                 without_proof]).encode()
        try:
            proof = base64.b64decode(attrs["p"])
        except ValueError:
            self.auth_failed()
        signature = hmac.new(STATE.stored_key, auth_message, hashlib.sha256).digest()
        if len(proof) != len(signature):
            self.auth_failed()
        client_key = bytes(a ^ b for a, b in zip(proof, signature))
        if not hmac.compare_digest(hashlib.sha256(client_key).digest(), STATE.stored_key):
            self.auth_failed()
        server_sig = hmac.new(STATE.server_key, auth_message, hashlib.sha256).digest()
        self.authenticated = True
        done = self.sasl["skip_empty"]
        self.sasl["step"] = 2
        if done:
            self.sasl = None
        return {"conversationId": 1, "done": done,
                "payload": ("v=" + base64.b64encode(server_sig).decode()).encode()}

    # ---- cursors ------------------------------------------------------

    @staticmethod
    def cursor_reply(ns, docs, batch_size, first=True, single_batch=False):
        if batch_size is None or batch_size <= 0:
            batch_size = DEFAULT_BATCH if first else len(docs)
        batch, rest = docs[:batch_size], docs[batch_size:]
        cid = 0
        if rest and not single_batch:
            cid = random.randint(1, 2 ** 62)
            STATE.cursors[cid] = (ns, rest)
        return {"cursor": {("firstBatch" if first else "nextBatch"): batch,
                           "id": Int64(cid), "ns": ns}}

    def cmd_getmore(self, cmd, db, arg):
        cid = int(arg)
        if cid not in STATE.cursors:
            raise CommandError("cursor id %d not found" % cid, 43)
        ns, docs = STATE.cursors.pop(cid)
        return self.cursor_reply(ns, docs, cmd.get("batchSize"), first=False)

    def cmd_killcursors(self, cmd, db, arg):
        killed, missing = [], []
        for cid in cmd.get("cursors", []):
            (killed if STATE.cursors.pop(int(cid), None) is not None else missing).append(cid)
        return {"cursorsKilled": killed, "cursorsNotFound": missing,
                "cursorsAlive": [], "cursorsUnknown": []}

    # ---- CRUD ---------------------------------------------------------

    @staticmethod
    def coll(db, name):
        if not isinstance(name, str) or not name:
            raise CommandError("collection name must be a non-empty string", 73)
        return STATE.client[db][name]

    def cmd_insert(self, cmd, db, arg):
        coll = self.coll(db, arg)
        n, errors = 0, []
        for i, doc in enumerate(cmd.get("documents", [])):
            if "_id" not in doc:
                doc = dict([("_id", ObjectId())] + list(doc.items()))
            try:
                coll.insert_one(doc)
                n += 1
            except mongomock.DuplicateKeyError as e:
                errors.append({"index": i, "code": 11000, "errmsg": str(e)})
                if cmd.get("ordered", True):
                    break
        reply = {"n": n}
        if errors:
            reply["writeErrors"] = errors
        return reply

    def cmd_find(self, cmd, db, arg):
        coll = self.coll(db, arg)
        cur = coll.find(cmd.get("filter") or {}, cmd.get("projection"))
        if cmd.get("sort"):
            cur = cur.sort(list(cmd["sort"].items()))
        if cmd.get("skip"):
            cur = cur.skip(int(cmd["skip"]))
        limit = int(cmd.get("limit") or 0)
        single = bool(cmd.get("singleBatch")) or limit < 0
        if limit:
            cur = cur.limit(abs(limit))
        return self.cursor_reply("%s.%s" % (db, arg), id_first(cur), cmd.get("batchSize"),
                                 single_batch=single)

    def cmd_aggregate(self, cmd, db, arg):
        if not isinstance(arg, str):
            raise NotImplementedError("aggregate on a database")
        docs = list(self.coll(db, arg).aggregate(cmd.get("pipeline", [])))
        docs = id_first(docs)
        batch = (cmd.get("cursor") or {}).get("batchSize")
        return self.cursor_reply("%s.%s" % (db, arg), docs, batch)

    def cmd_update(self, cmd, db, arg):
        coll = self.coll(db, arg)
        n = modified = 0
        upserted, errors = [], []
        for i, spec in enumerate(cmd.get("updates", [])):
            q, u = spec.get("q") or {}, spec.get("u")
            upsert = bool(spec.get("upsert"))
            try:
                if isinstance(u, list):
                    raise NotImplementedError("update with an aggregation pipeline")
                if not u or not next(iter(u)).startswith("$"):
                    if spec.get("multi"):
                        raise CommandError("multi update is not supported for replacement-style update", 9)
                    res = coll.replace_one(q, u or {}, upsert=upsert)
                elif spec.get("multi"):
                    res = coll.update_many(q, u, upsert=upsert)
                else:
                    res = coll.update_one(q, u, upsert=upsert)
            except mongomock.DuplicateKeyError as e:
                errors.append({"index": i, "code": 11000, "errmsg": str(e)})
                if cmd.get("ordered", True):
                    break
                continue
            n += res.matched_count
            modified += res.modified_count
            if res.upserted_id is not None:
                n += 1
                upserted.append({"index": i, "_id": res.upserted_id})
        reply = {"n": n, "nModified": modified}
        if upserted:
            reply["upserted"] = upserted
        if errors:
            reply["writeErrors"] = errors
        return reply

    def cmd_delete(self, cmd, db, arg):
        coll = self.coll(db, arg)
        n = 0
        for spec in cmd.get("deletes", []):
            q = spec.get("q") or {}
            if int(spec.get("limit") or 0) == 1:
                n += coll.delete_one(q).deleted_count
            else:
                n += coll.delete_many(q).deleted_count
        return {"n": n}

    def cmd_count(self, cmd, db, arg):
        return {"n": self.coll(db, arg).count_documents(cmd.get("query") or {})}

    # ---- collections and databases ----------------------------------------

    def cmd_listcollections(self, cmd, db, arg):
        flt = cmd.get("filter") or {}
        names = sorted(STATE.client[db].list_collection_names())
        if isinstance(flt.get("name"), str):
            names = [n for n in names if n == flt["name"]]
        if cmd.get("nameOnly"):
            docs = [{"name": n, "type": "collection"} for n in names]
        else:
            docs = [{"name": n, "type": "collection", "options": {},
                     "info": {"readOnly": False}, "idIndex": {"v": 2, "key": {"_id": 1}, "name": "_id_"}}
                    for n in names]
        return self.cursor_reply("%s.$cmd.listCollections" % db, docs,
                                 (cmd.get("cursor") or {}).get("batchSize"))

    def cmd_drop(self, cmd, db, arg):
        existed = arg in STATE.client[db].list_collection_names()
        STATE.client[db].drop_collection(arg)
        return {"ns": "%s.%s" % (db, arg), "nIndexesWas": 1} if existed else {}

    def cmd_create(self, cmd, db, arg):
        if arg in STATE.client[db].list_collection_names():
            raise CommandError("Collection %s.%s already exists." % (db, arg), 48)
        STATE.client[db].create_collection(arg)
        return {}

    def cmd_createindexes(self, cmd, db, arg):
        coll = self.coll(db, arg)
        for ix in cmd.get("indexes", []):
            coll.create_index(list(ix["key"].items()), name=ix.get("name"),
                              unique=bool(ix.get("unique")))
        return {"numIndexesBefore": 1, "numIndexesAfter": 1 + len(cmd.get("indexes", [])),
                "createdCollectionAutomatically": False}

    def cmd_listindexes(self, cmd, db, arg):
        info = self.coll(db, arg).index_information()
        docs = [dict({"v": 2, "key": dict(v["key"]), "name": k},
                     **({"unique": True} if v.get("unique") else {}))
                for k, v in info.items()]
        return self.cursor_reply("%s.%s" % (db, arg), docs, None)

    def cmd_listdatabases(self, cmd, db, arg):
        names = STATE.client.list_database_names()
        return {"databases": [{"name": n, "sizeOnDisk": 0, "empty": False} for n in names],
                "totalSize": 0}

    def cmd_dropdatabase(self, cmd, db, arg):
        STATE.client.drop_database(db)
        return {"dropped": db}


class Handler(socketserver.BaseRequestHandler):
    """Reads messages off one connection and answers them in order."""

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.request.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def send(self, request_id, op, body):
        header = struct.pack("<iiii", 16 + len(body), random.randint(1, 2 ** 31 - 1),
                             request_id, op)
        self.request.sendall(header + body)

    def handle(self):
        conn = Connection()
        try:
            while True:
                length, request_id, _, op = struct.unpack("<iiii", self.recv_exact(16))
                if length < 16 or length > MAX_MESSAGE:
                    return
                body = self.recv_exact(length - 16)
                if op == OP_MSG:
                    self.op_msg(conn, request_id, body)
                elif op == OP_QUERY:
                    self.op_query(conn, request_id, body)
                else:
                    return  # OP_COMPRESSED is never negotiated; others are gone
        except (EOFError, ConnectionError, OSError):
            return

    def op_msg(self, conn, request_id, body):
        flags = struct.unpack_from("<I", body)[0]
        end = len(body) - (4 if flags & 1 else 0)
        pos = 4
        cmd = None
        sequences = {}
        while pos < end:
            kind = body[pos]
            pos += 1
            size = struct.unpack_from("<i", body, pos)[0]
            if kind == 0:
                cmd = bson.decode(body[pos:pos + size], CODEC)
            else:
                ident_end = body.index(b"\0", pos + 4)
                ident = body[pos + 4:ident_end].decode()
                sequences[ident] = bson.decode_all(body[ident_end + 1:pos + size], CODEC)
            pos += size
        if cmd is None:
            reply = error_doc("OP_MSG without a body", 2)
        else:
            cmd.update(sequences)
            reply = conn.run(cmd, cmd.get("$db", "admin"))
        if not flags & 2:  # moreToCome: no reply wanted
            self.send(request_id, OP_MSG, struct.pack("<IB", 0, 0) + bson.encode(reply))

    def op_query(self, conn, request_id, body):
        ns_end = body.index(b"\0", 4)
        ns = body[4:ns_end].decode()
        pos = ns_end + 1 + 8
        size = struct.unpack_from("<i", body, pos)[0]
        query = bson.decode(body[pos:pos + size], CODEC)
        if "$query" in query:
            query = query["$query"]
        db, _, coll = ns.partition(".")
        if coll != "$cmd":
            reply = error_doc("OP_QUERY is only supported for commands", 352)
        else:
            reply = conn.run(query, db)
        doc = bson.encode(reply)
        self.send(request_id, OP_REPLY, struct.pack("<iqii", 0, 0, 0, 1) + doc)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global STATE
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--auth-db", default="admin")
    args = ap.parse_args()
    if (args.user is None) != (args.password is None):
        ap.error("--user and --password go together")
    STATE = State(args.user, args.password, args.auth_db)

    server = Server(("127.0.0.1", args.port), Handler)

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    # with a pipe on standard input, its end of file ends the server
    mode = os.fstat(0).st_mode
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        def watch():
            while os.read(0, 256):
                pass
            os.kill(os.getpid(), signal.SIGTERM)
        threading.Thread(target=watch, daemon=True).start()

    print(server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()


if __name__ == "__main__":
    sys.exit(main())
