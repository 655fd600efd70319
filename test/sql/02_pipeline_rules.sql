-- the structural rules of a stream processing pipeline, each with its error
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS asp;
RESET client_min_messages;
\set VERBOSITY default
SELECT * FROM asp.process('[]');
SELECT * FROM asp.process('{"$source": {}}');
SELECT * FROM asp.process('[{"$match": {}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$source": {"documents": []}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}, "$match": {}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, 5]');
SELECT * FROM asp.process('[{"$source": {}}]');
SELECT * FROM asp.process('[{"$source": {"documents": [], "connectionName": "sample_stream_solar"}}]');
SELECT * FROM asp.process('[{"$source": {"documents": [1]}}]');
SELECT * FROM asp.process('[{"$source": {"documents": {"a": 1}}}]');
SELECT * FROM asp.process('[{"$source": {"documents": [], "timeField": "$t"}}]');
SELECT * FROM asp.process('[{"$source": {"documents": [], "tsFieldName": "a.b"}}]');
SELECT * FROM asp.process('[{"$source": {"documents": [], "topic": "x"}}]');
SELECT * FROM asp.process('[{"$source": {"connectionName": "sample_stream_solar", "topic": "x"}}]');
SELECT * FROM asp.process('[{"$source": {"connectionName": "local"}}]');
SELECT * FROM asp.process('[{"$source": {"connectionName": 5}}]');
-- one sink, and it is last
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$merge": {"into": {"connectionName": "local", "db": "d", "coll": "c"}}}, {"$match": {}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$emit": {"connectionName": "k", "topic": "t"}}, {"$merge": {"into": {"connectionName": "local", "db": "d", "coll": "c"}}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$merge": {"into": {"connectionName": "local", "db": "d"}}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$merge": {"into": {"connectionName": "local", "db": "d", "coll": "c"}, "whenMatched": "upsert"}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$merge": {"into": {"connectionName": "local", "db": "d", "coll": "c"}, "parallelism": 17}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$merge": {"into": {"connectionName": "local", "db": {"$concat": ["a", "$x"]}, "coll": "c"}, "parallelism": 2}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$merge": {"into": {"connectionName": "nope", "db": "d", "coll": "c"}}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$emit": {"connectionName": "local", "topic": "t"}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$merge": {"into": {"connectionName": "local", "db": "d", "coll": "c"}, "extra": 1}}]');
-- $out and JavaScript are not supported
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$out": "coll"}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$match": {"$where": "this.a > 1"}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$project": {"x": {"$function": {"body": "function() {}", "args": [], "lang": "js"}}}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$tumblingWindow": {"interval": {"size": 1, "unit": "second"}, "pipeline": [{"$group": {"_id": null, "x": {"$accumulator": {}}}}]}}]');
-- unknown and unsupported stages
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$frobnicate": {}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$facet": {}}]');
-- stateful stages only inside a window
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$group": {"_id": null}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$sort": {"a": 1}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$limit": 1}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$count": "n"}]');
-- one window stage
SELECT * FROM asp.process('[{"$source": {"documents": []}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "second"}, "pipeline": []}},
  {"$hoppingWindow": {"interval": {"size": 2, "unit": "second"}, "hopSize": {"size": 1, "unit": "second"}, "pipeline": []}}]');
-- window options
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$tumblingWindow": {"pipeline": []}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$tumblingWindow": {"interval": {"size": 0, "unit": "second"}, "pipeline": []}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$tumblingWindow": {"interval": {"size": 1.5, "unit": "second"}, "pipeline": []}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$tumblingWindow": {"interval": {"size": 1, "unit": "fortnight"}, "pipeline": []}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$tumblingWindow": {"interval": {"size": 1, "unit": "second"}}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$tumblingWindow": {"interval": {"size": 1, "unit": "second"}, "pipeline": {}}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$tumblingWindow": {"interval": {"size": 1, "unit": "second"}, "hopSize": {"size": 1, "unit": "second"}, "pipeline": []}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$hoppingWindow": {"interval": {"size": 1, "unit": "second"}, "pipeline": []}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$hoppingWindow": {"interval": {"size": 1, "unit": "second"}, "hopSize": {"size": 2, "unit": "second"}, "pipeline": []}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$tumblingWindow": {"interval": {"size": 1, "unit": "second"}, "boundary": "wallClock", "pipeline": []}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$tumblingWindow": {"interval": {"size": 1, "unit": "second"}, "boundary": "processingTime", "allowedLateness": {"size": 1, "unit": "second"}, "pipeline": []}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$tumblingWindow": {"interval": {"size": 1, "unit": "second"}, "offset": {"offsetFromUtc": "1", "unit": "hour"}, "pipeline": []}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$tumblingWindow": {"interval": {"size": 1, "unit": "second"}, "pipeline": [{"$source": {}}]}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$tumblingWindow": {"interval": {"size": 1, "unit": "second"}, "pipeline": [{"$merge": {}}]}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$tumblingWindow": {"interval": {"size": 1, "unit": "second"}, "pipeline": [{"$group": {"total": {"$sum": 1}}}]}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$tumblingWindow": {"interval": {"size": 1, "unit": "second"}, "pipeline": [{"$group": {"_id": null, "t": {"$summ": 1}}}]}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$tumblingWindow": {"interval": {"size": 1, "unit": "second"}, "pipeline": [{"$limit": -1}]}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$tumblingWindow": {"interval": {"size": 1, "unit": "second"}, "pipeline": [{"$sort": {}}]}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$tumblingWindow": {"interval": {"size": 1, "unit": "second"}, "pipeline": [{"$count": "a.b"}]}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$sessionWindow": {}}]');
-- $meta window fields only inside a window
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$project": {"s": {"$meta": "stream.window.start"}}}]');
-- unknown operators are named, with their place
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$project": {"x": {"$frob": 1}}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$match": {"a": {"$frob": 1}}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$tumblingWindow": {"interval": {"size": 1, "unit": "second"}, "pipeline": [{"$project": {"x": {"$frob": 1}}}]}}]');
