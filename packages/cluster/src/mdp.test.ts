import { describe, it, expect } from 'vitest';
import {
  MDPC01, MDPW01, brokerDisconnect, brokerHeartbeat, brokerReply, brokerRequest, clientRequest, parseBrokerInbound,
  parseClientReply, parseWorkerInbound, workerDisconnect, workerHeartbeat, workerReady, workerReply, type Frame,
} from './mdp.js';

const B = (f: Frame): Buffer => Buffer.from(f as Uint8Array | string);
const id = Buffer.from([0, 1, 2, 3, 4]);
const onRouter = (frames: Frame[]): Buffer[] => [id, ...frames.map(B)];
const hex = (frames: Frame[]): string[] => frames.map((f) => B(f).toString('hex'));

describe('MDP 0.1 frames', () => {
  it('lays out frames exactly as RFC 7/MDP', () => {
    expect(MDPC01.toString()).toBe('MDPC01');
    expect(MDPW01.toString()).toBe('MDPW01');
    expect(hex(clientRequest('echo', ['hi']))).toEqual(['', B('MDPC01').toString('hex'), B('echo').toString('hex'), B('hi').toString('hex')]);
    expect(hex(clientRequest('echo', ['hi'], { req: true }))).toEqual([B('MDPC01').toString('hex'), B('echo').toString('hex'), B('hi').toString('hex')]);
    expect(hex(workerReady('echo'))).toEqual(['', B('MDPW01').toString('hex'), '01', B('echo').toString('hex')]);
    expect(hex(workerReply(Buffer.from('c'), ['r']))).toEqual(['', B('MDPW01').toString('hex'), '03', '63', '', '72']);
    expect(hex(workerHeartbeat())).toEqual(['', B('MDPW01').toString('hex'), '04']);
    expect(hex(workerDisconnect())).toEqual(['', B('MDPW01').toString('hex'), '05']);
    expect(hex(brokerRequest(id, Buffer.from('c'), ['q']))).toEqual([id.toString('hex'), '', B('MDPW01').toString('hex'), '02', '63', '', '71']);
    expect(hex(brokerHeartbeat(id))).toEqual([id.toString('hex'), '', B('MDPW01').toString('hex'), '04']);
    expect(hex(brokerDisconnect(id))).toEqual([id.toString('hex'), '', B('MDPW01').toString('hex'), '05']);
    expect(hex(brokerReply(id, 'echo', ['a']))).toEqual([id.toString('hex'), '', B('MDPC01').toString('hex'), B('echo').toString('hex'), '61']);
  });

  it('parses what the builders build', () => {
    const c = parseBrokerInbound(onRouter(clientRequest('svc', ['a', 'b'])));
    expect(c.kind).toBe('client');
    if (c.kind === 'client') {
      expect(c.service).toBe('svc');
      expect(c.body.map(String)).toEqual(['a', 'b']);
      expect(c.sender.equals(id)).toBe(true);
    }
    expect(parseBrokerInbound(onRouter(workerReady('svc')))).toMatchObject({ kind: 'ready', service: 'svc' });
    expect(parseBrokerInbound(onRouter(workerReady('svc')))).not.toHaveProperty('process');
    // optkit extension: READY may carry the worker's process id as one extra frame.
    expect(hex(workerReady('echo', 'h:1:ab'))).toEqual(['', B('MDPW01').toString('hex'), '01', B('echo').toString('hex'), B('h:1:ab').toString('hex')]);
    expect(parseBrokerInbound(onRouter(workerReady('svc', 'host:42:beef')))).toMatchObject({ kind: 'ready', service: 'svc', process: 'host:42:beef' });
    const r = parseBrokerInbound(onRouter(workerReply(Buffer.from('cli'), ['x'])));
    expect(r.kind).toBe('reply');
    if (r.kind === 'reply') expect(r.client.toString()).toBe('cli');
    expect(parseBrokerInbound(onRouter(workerHeartbeat())).kind).toBe('heartbeat');
    expect(parseBrokerInbound(onRouter(workerDisconnect())).kind).toBe('disconnect');
    const w = parseWorkerInbound(brokerRequest(id, Buffer.from('cli'), ['q1', 'q2']).slice(1).map(B));
    expect(w.kind).toBe('request');
    if (w.kind === 'request') {
      expect(w.client.toString()).toBe('cli');
      expect(w.body.map(String)).toEqual(['q1', 'q2']);
    }
    expect(parseWorkerInbound(brokerHeartbeat(id).slice(1).map(B)).kind).toBe('heartbeat');
    expect(parseWorkerInbound(brokerDisconnect(id).slice(1).map(B)).kind).toBe('disconnect');
    expect(parseClientReply(brokerReply(id, 'svc', ['z']).slice(1).map(B))).toMatchObject({ kind: 'reply', service: 'svc' });
    expect(parseClientReply(brokerReply(id, 'svc', ['z']).slice(2).map(B), { req: true })).toMatchObject({ kind: 'reply', service: 'svc' });
  });

  it('classifies every malformed message as invalid without throwing', () => {
    const bad: Buffer[][] = [
      [],
      [id],
      [id, B('')],
      [id, B('x'), B('MDPC01'), B('s'), B('b')], // no delimiter
      [id, B(''), B('MDPC02'), B('s'), B('b')], // wrong protocol
      [id, B(''), B('MDPC01'), B('s')], // no body
      [id, B(''), B('MDPC01'), B(''), B('b')], // empty service
      [id, B(''), B('MDPC01'), Buffer.alloc(300, 97), B('b')], // oversize name
      [id, B(''), B('MDPC01'), Buffer.from([0x61, 0x00]), B('b')], // control char
      [id, B(''), B('MDPW01')], // no command
      [id, B(''), B('MDPW01'), Buffer.of(1)], // READY without service
      [id, B(''), B('MDPW01'), Buffer.of(1), B('a'), B('p'), B('x')], // READY with more than the process-id frame
      [id, B(''), B('MDPW01'), Buffer.of(1), B('a'), B('')], // READY with an empty process id
      [id, B(''), B('MDPW01'), Buffer.of(1), B('a'), Buffer.from([0x70, 0x0a])], // process id with a control char
      [id, B(''), B('MDPW01'), Buffer.of(2), B('c'), B(''), B('b')], // REQUEST from a worker
      [id, B(''), B('MDPW01'), Buffer.of(3), B('c'), B('')], // REPLY no body
      [id, B(''), B('MDPW01'), Buffer.of(3), B('c'), B('x'), B('b')], // REPLY no empty
      [id, B(''), B('MDPW01'), Buffer.of(4), B('x')], // HEARTBEAT extra
      [id, B(''), B('MDPW01'), Buffer.of(9)], // unknown command
      [id, B(''), B('MDPW01'), Buffer.of(1, 1)], // 2-byte command
    ];
    for (const m of bad) expect(parseBrokerInbound(m).kind, m.map((f) => f.toString('hex')).join('|')).toBe('invalid');
    expect(parseWorkerInbound([B(''), B('MDPC01'), Buffer.of(2)]).kind).toBe('invalid');
    expect(parseWorkerInbound([B(''), B('MDPW01'), Buffer.of(2), B('c')]).kind).toBe('invalid');
    expect(parseClientReply([B(''), B('MDPW01'), B('s'), B('x')]).kind).toBe('invalid');
  });
});
