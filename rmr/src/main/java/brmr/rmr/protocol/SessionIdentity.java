package brmr.rmr.protocol;

/**
 * Who a session says it is before it may say anything else: its role, pool, session name and member
 * id (-1 for a compute client). The authentication proves it and the Hello that follows must repeat it.
 */
public record SessionIdentity(Message.Role role, String pool, String session, int member) {
    /** The identity an {@link Message.AuthStart} claims. */
    public static SessionIdentity of(Message.AuthStart start) {
        return new SessionIdentity(start.role(), start.pool(), start.session(), start.member());
    }

    /** The identity a Hello claims. */
    public static SessionIdentity of(Message.Hello hello) {
        return new SessionIdentity(hello.role(), hello.pool(), hello.session(), hello.fromMember());
    }

    /** Opens the authentication of this identity with the caller's {@code nonce}. */
    public Message.AuthStart start(byte[] nonce) {
        return new Message.AuthStart(role, pool, session, member, nonce);
    }
}
