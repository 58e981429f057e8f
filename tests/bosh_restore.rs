//! Restore in one round trip: the next page's first new request carries what
//! it queued and leaves with the resends of the old page's unanswered
//! requests, without waiting for them, against a connection manager that
//! behaves as Prosody 0.12 and ejabberd 23.01 do when the page that held a
//! request went away (see `CmConfig::prosody`). Whatever order the server
//! sees the requests in, nothing is lost, duplicated or reordered.

mod bosh_cm;

use bosh_cm::*;
use xmpp_wasm::bosh::{Session, Transmit};

/// The old page goes away with its long poll held: it reads nothing more,
/// and its HTTP connection closes. Returns the snapshot the next page finds
/// and the held poll.
fn reload(n: &mut Net) -> (xmpp_wasm::bosh::SessionSnapshot, Transmit) {
    let poll = n.sent.last().unwrap().clone();
    assert_eq!(n.cm.held_rids(), vec![poll.rid], "the long poll is held");
    let snap = n.s.snapshot().expect("open");
    n.park = true;
    (snap, poll)
}

/// The next page: restores and queues a message at once; returns what
/// leaves in its first round.
fn next_page(n: &mut Net, snap: &xmpp_wasm::bosh::SessionSnapshot) -> Vec<Transmit> {
    n.parked.clear();
    n.park = false;
    n.now += ms(150);
    n.s = Session::restore(config(), snap).expect("a valid snapshot");
    n.s.send(
        n.now,
        "<iq xmlns='jabber:client' id='ping' type='get'/>".into(),
    );
    n.drain()
}

fn ids(n: &Net) -> Vec<String> {
    n.stanzas()
        .iter()
        .filter_map(|s| s.attr("id").map(str::to_owned))
        .collect()
}

fn first_round_shape(round: &[Transmit], poll: &Transmit) -> Transmit {
    assert_eq!(round.len(), 2, "the resend and the new request: {round:?}");
    let resend = round.iter().find(|t| t.rid == poll.rid).expect("resend");
    assert_eq!(resend.body, poll.body, "byte for byte");
    let new = round
        .iter()
        .find(|t| t.rid == poll.rid + 1)
        .expect("new rid");
    assert!(
        new.body.contains("id='ping'"),
        "the first new request carries the queued stanza: {}",
        new.body
    );
    new.clone()
}

#[test]
fn prosody_idle_new_rid_first_the_resend_is_not_found_and_nothing_is_lost() {
    let mut n = Net::open(config(), CmConfig::prosody_012());
    let (snap, poll) = reload(&mut n);
    n.cm.connection_closed(poll.rid);
    let round = next_page(&mut n, &snap);
    let new = first_round_shape(&round, &poll);
    let resend = round.iter().find(|t| t.rid == poll.rid).unwrap().clone();
    // The new rid reaches the server first.
    n.deliver(&new);
    assert!(n.cm.forwarded.iter().any(|f| f.contains("id='ping'")));
    n.push("<iq xmlns='jabber:client' id='pong' type='result'/>");
    n.deliver(&resend);
    assert_eq!(n.cm.not_found, vec![poll.rid], "Prosody: rid out of range");
    n.run();
    assert!(n.s.is_open(), "the session lives: {:?}", n.closed());
    assert_eq!(ids(&n), vec!["pong".to_owned()]);
    n.push("<message xmlns='jabber:client' id='later'/>");
    assert_eq!(ids(&n), vec!["pong".to_owned(), "later".to_owned()]);
    n.assert_clean();
}

#[test]
fn prosody_idle_resend_first_is_held_again_and_carries_the_answer() {
    let mut n = Net::open(config(), CmConfig::prosody_012());
    let (snap, poll) = reload(&mut n);
    n.cm.connection_closed(poll.rid);
    let round = next_page(&mut n, &snap);
    let new = first_round_shape(&round, &poll);
    let resend = round.iter().find(|t| t.rid == poll.rid).unwrap().clone();
    n.deliver(&resend);
    assert_eq!(
        n.cm.held_rids(),
        vec![poll.rid],
        "current rid repeated: held"
    );
    n.deliver(&new);
    n.push("<iq xmlns='jabber:client' id='pong' type='result'/>");
    n.run();
    assert!(n.cm.not_found.is_empty());
    assert!(n.s.is_open(), "{:?}", n.closed());
    assert_eq!(ids(&n), vec!["pong".to_owned()]);
    n.assert_clean();
}

/// The server wrote a message into the held poll just before the old page
/// went away (the answer was on its way and never read): the resend
/// replays it, in either order, once, and before what the new rid brings.
#[test]
fn an_answer_the_old_page_never_read_is_replayed_once_in_either_order() {
    for new_first in [true, false] {
        for prosody in [true, false] {
            let cm = if prosody {
                CmConfig::prosody_012()
            } else {
                CmConfig::full()
            };
            let mut n = Net::open(config(), cm);
            let (snap, poll) = reload(&mut n);
            n.push("<message xmlns='jabber:client' id='in-transit'/>");
            n.cm.connection_closed(poll.rid);
            let round = next_page(&mut n, &snap);
            let new = first_round_shape(&round, &poll);
            let resend = round.iter().find(|t| t.rid == poll.rid).unwrap().clone();
            if new_first {
                n.deliver(&new);
                n.push("<iq xmlns='jabber:client' id='pong' type='result'/>");
                n.deliver(&resend);
            } else {
                n.deliver(&resend);
                n.deliver(&new);
                n.push("<iq xmlns='jabber:client' id='pong' type='result'/>");
            }
            n.run();
            let what = format!("new first {new_first}, prosody {prosody}");
            assert!(n.s.is_open(), "{what}: {:?}", n.closed());
            assert_eq!(
                ids(&n),
                vec!["in-transit".to_owned(), "pong".to_owned()],
                "{what}"
            );
            assert!(n.cm.not_found.is_empty(), "{what}: it was buffered");
            n.assert_clean();
        }
    }
}

/// A session the server no longer has: the resend's `item-not-found` does
/// not end it on its own, the new rid's does.
#[test]
fn a_session_really_gone_still_ends_with_item_not_found() {
    let mut n = Net::open(config(), CmConfig::prosody_012());
    let (snap, poll) = reload(&mut n);
    n.cm.connection_closed(poll.rid);
    n.cm.expired = true;
    let round = next_page(&mut n, &snap);
    first_round_shape(&round, &poll);
    for t in &round {
        n.deliver(t);
    }
    n.run();
    assert_eq!(n.closed(), Some(Some("item-not-found".to_owned())));
}

/// Without a later rid on its way, `item-not-found` to a resend ends the
/// session as before: nothing says the session is alive.
#[test]
fn item_not_found_to_a_lone_resend_ends_the_session() {
    let mut n = Net::open(config(), CmConfig::prosody_012());
    let (snap, poll) = reload(&mut n);
    n.parked.clear();
    n.park = false;
    n.s = Session::restore(config(), &snap).expect("valid");
    let round = n.drain();
    assert_eq!(round.len(), 1, "only the resend: nothing queued");
    assert_eq!(round[0].rid, poll.rid);
    n.s.handle_response(
        n.now,
        round[0].id,
        200,
        &resp("type='terminate' condition='item-not-found'", ""),
    );
    n.run();
    assert_eq!(n.closed(), Some(Some("item-not-found".to_owned())));
}

/// The old page went away while the server still held its copy of the poll
/// (its connection not yet seen closed): the next page's resend of that rid
/// is not suspected lost when the new rid is answered first — the server may
/// still write into the old copy, and a third copy draws `item-not-found`
/// from Prosody — so it keeps its own deadline.
#[test]
fn a_restore_resend_is_not_resent_early_when_the_new_rid_is_answered_first() {
    let mut n = Net::open(config(), CmConfig::prosody_012());
    let (snap, poll) = reload(&mut n);
    let round = next_page(&mut n, &snap);
    let new = first_round_shape(&round, &poll);
    let before = n.sent.len();
    n.deliver(&new);
    n.push("<iq xmlns='jabber:client' id='pong' type='result'/>");
    let answered = n.now;
    n.advance_to(answered + ms(1000));
    let again = n.sent[before..]
        .iter()
        .filter(|t| t.rid == poll.rid)
        .count();
    assert_eq!(again, 0, "the resend was sent again within a second");
}
