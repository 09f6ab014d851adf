/** RMR: server pools, dirty maps, sync, sessions and their protocol. */
module brmr.rmr {
    requires transitive brmr.metadata;
    requires org.tinylog.api;

    exports brmr.rmr to brmr.admin;
    exports brmr.rmr.adapter to brmr.admin;
    exports brmr.rmr.client to brmr.admin;
    exports brmr.rmr.map to brmr.admin;
    exports brmr.rmr.net to brmr.admin;
    exports brmr.rmr.protocol to brmr.admin;
    exports brmr.rmr.server to brmr.admin;
    exports brmr.rmr.sync to brmr.admin;
    exports brmr.rmr.tls to brmr.admin;
}
