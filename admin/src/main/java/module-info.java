/** brmr-server store operations, the storage and client daemons, and the brmrctl admin console. */
module brmr.admin {
    requires brmr.rmr;
    requires com.fasterxml.jackson.jr.ob;
    requires jdk.httpserver;
    requires org.tinylog.api;
}
