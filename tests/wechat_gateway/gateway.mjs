// jingmin's WeChat test peer: a Wechaty puppet-service gateway serving the mock puppet.
//
// The bot under test connects to it over plaintext gRPC on loopback exactly as it would
// connect to a real gateway; the test drives the "WeChat side" through a small JSON HTTP
// control channel on another loopback port. Nothing here listens beyond 127.0.0.1.
//
//   node gateway.mjs --port 8788 [--control-port 0] [--token T] [--state FILE]
//                    [--sent-log FILE] [--bot-id wxid_jingmin_bot] [--bot-name 警民助手]
//
// When both servers listen it prints one JSON line to stdout:
//   {"event":"listening","grpcPort":8788,"controlPort":40123,"botId":"..."}
//
// --state keeps contacts and rooms in a JSON file, so a restarted gateway (the same WeChat
// account after a crash) still has the rooms the bot was in.
//
// --sent-log appends each message the bot sends to a JSON-lines file as it is recorded,
// and a gateway started on the same file serves those too from GET /sent: a test that
// SIGKILLs the gateway still sees everything the rooms got, up to the kill.
//
// Control channel (JSON in, JSON out):
//   GET  /state                     {loggedIn, ready, botId, botName, contacts, rooms}
//   POST /contacts  {id, name, friend=false}  create a contact (a resident or an officer);
//                                   friend: in the account's contact list
//   POST /rooms     {id?, topic, memberIds, withBot=true}     create a room
//   POST /rooms/add {roomId, inviteeIds, inviterId}           someone adds members (the bot,
//                                   too): emits room-join like WeChat does
//   POST /say       {from, roomId?, text, mentionIds?, mentionBot?}
//                                   `from` says `text` in the room, or privately to the bot
//                                   when roomId is absent; returns {messageId}
//   POST /picture {from, roomId?, base64, name="picture.png"}
//                                   `from` posts a picture (the bytes, base64) in the room or
//                                   privately: an Image message, whose bytes the bot fetches
//                                   with messageImage (or messageFile); returns {messageId}
//   GET  /sent[?since=N]            what the bot sent: [{seq, id, conversationId, isRoom,
//                                   kind, text, mentionIds, at}]; kind "text", or "file"
//                                   (a picture/video/file the bot streamed as a FileBox)
//                                   with fileName, size, sha256 instead of text
//   POST /logout, POST /login       the WeChat account logs out / logs back in
//   POST /refuse    {message, conversationId?}
//                                   every send fails with `message` (e.g. "操作过于频繁"),
//                                   as when WeChat restricts the account; with
//                                   conversationId only sends to that room or contact fail
//                                   (as when WeChat refuses one chat); null clears it
//   POST /hold-send {conversationId, seconds, takenFirst=false}
//                                   the next text sent to that room or contact is held open
//                                   for `seconds` before the bot gets its answer: after it is
//                                   recorded in /sent (takenFirst, the group has it) or
//                                   before (it is recorded only when the hold ends), so a
//                                   test can kill the gateway mid-send; GET /state says how
//                                   many sends are being held (`holding`)
//   POST /payload-delay {seconds}   a message said from now on is announced at once, but
//                                   its payload is "not found" for that long (as a gateway
//                                   that just restarted and is still syncing); 0 clears it
//
// The mock puppet never emits `ready`: this gateway emits it after every login. It also
// drops the mention list of a sent text, so sends are recorded here before the mock sees
// them.

import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import process from 'node:process'
import { parseArgs } from 'node:util'

import { FileBox } from 'file-box' // the puppets' own FileBox (their dependency, in the lock)
import { log, types as PUPPET_TYPES } from 'wechaty-puppet'
import { PuppetMock, mock } from 'wechaty-puppet-mock'
import { PuppetServer } from 'wechaty-puppet-service'

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.GATEWAY_PORT ?? '8788' },
    'control-port': { type: 'string', default: process.env.GATEWAY_CONTROL_PORT ?? '0' },
    token: { type: 'string', default: process.env.GATEWAY_TOKEN ?? 'insecure_jingmin_test' },
    state: { type: 'string', default: process.env.GATEWAY_STATE ?? '' },
    'sent-log': { type: 'string', default: '' },
    'bot-id': { type: 'string', default: 'wxid_jingmin_bot' },
    'bot-name': { type: 'string', default: '警民助手' },
  },
})

log.level(process.env.WECHATY_LOG ?? 'warn')

const HOST = '127.0.0.1'
const botId = args['bot-id']
const botName = args['bot-name']

const mocker = new mock.Mocker()
const puppet = new PuppetMock({ mocker })

// ---------------------------------------------------------------------------------------
// The account's contacts and rooms (optionally kept across restarts)

const state = { contacts: [], rooms: [] }

function saveState () {
  if (args.state) {
    fs.writeFileSync(args.state, JSON.stringify(state, null, 2))
  }
}

function createContact ({ id, name, friend = false }) {
  if (typeof id !== 'string' || !id) throw new Error('contact id is required')
  if (mocker.cacheContactPayload.has(id)) return mocker.ContactMock.load(id)
  // weixin is the account's WeChat id, which is what officers give the admin.
  const contact = mocker.createContact({ id, name: name ?? id, weixin: id, alias: '', friend })
  if (id !== botId) state.contacts.push({ id, name: name ?? id, friend })
  return contact
}

let roomSeq = 0
function createRoom ({ id, topic, memberIds = [], withBot = true }) {
  // The mock tells rooms from contacts by an "@" in the id, as WeChat's "...@chatroom".
  const roomId = id ?? `${Date.now()}${++roomSeq}@chatroom`
  if (!roomId.includes('@')) throw new Error('a room id must contain "@", e.g. 123@chatroom')
  if (mocker.cacheRoomPayload.has(roomId)) return mocker.RoomMock.load(roomId)
  for (const memberId of memberIds) contactOrThrow(memberId)
  const members = withBot ? [botId, ...memberIds.filter(m => m !== botId)] : [...memberIds]
  const room = mocker.createRoom({
    id: roomId,
    topic: topic ?? roomId,
    memberIdList: members,
    adminIdList: [],
    ownerId: members[0],
  })
  state.rooms.push({ id: roomId, topic: room.payload.topic, memberIds: room.payload.memberIdList })
  return room
}

function contactOrThrow (id) {
  if (!mocker.cacheContactPayload.has(id)) throw new Error(`no contact ${id}`)
  return mocker.ContactMock.load(id)
}

function roomOrThrow (id) {
  if (!mocker.cacheRoomPayload.has(id)) throw new Error(`no room ${id}`)
  return mocker.RoomMock.load(id)
}

createContact({ id: botId, name: botName })
if (args.state && fs.existsSync(args.state)) {
  const saved = JSON.parse(fs.readFileSync(args.state, 'utf8'))
  for (const contact of saved.contacts ?? []) createContact(contact)
  for (const room of saved.rooms ?? []) {
    createRoom({ id: room.id, topic: room.topic, memberIds: room.memberIds, withBot: false })
  }
}

// ---------------------------------------------------------------------------------------
// Login and ready: the mock puppet emits neither by itself

function logIn () {
  if (puppet.isLoggedIn) return
  mocker.login(mocker.ContactMock.load(botId))
  // A real puppet says `ready` once its contacts and rooms are loaded; the mock never does.
  setTimeout(() => puppet.emit('ready', { data: 'ready' }), 50)
}

// A client may stop and start the puppet through the gRPC `stop`/`start` calls (stock
// python-wechaty does this on every connect): log in again when it really starts. A
// `start` on a running puppet changes nothing, as with a real gateway.
const startPuppet = puppet.start.bind(puppet)
puppet.start = async () => {
  const wasRunning = puppet.state.active() === true
  await startPuppet()
  if (!wasRunning) logIn()
}

// ---------------------------------------------------------------------------------------
// What the bot sends

const sent = []
let sentSeq = 0
const sentLog = args['sent-log']
if (sentLog && fs.existsSync(sentLog)) {
  for (const line of fs.readFileSync(sentLog, 'utf8').split('\n')) {
    if (!line.trim()) continue
    try {
      sent.push(JSON.parse(line))
    } catch {
      break // a line cut short by the kill: the send was not recorded
    }
  }
  sentSeq = sent.length ? sent[sent.length - 1].seq : 0
}

function record (message) {
  sent.push(message)
  if (sentLog) fs.appendFileSync(sentLog, JSON.stringify(message) + '\n')
}
let refusal = null // set by POST /refuse: every send fails with it, as WeChat restricting the account
const refusals = new Map() // conversation id -> message: POST /refuse for one chat
const holds = new Map() // conversation id -> {seconds, takenFirst}: POST /hold-send, used once
let holding = 0 // sends being held open now

function refuse (conversationId) {
  const message = refusal ?? refusals.get(conversationId)
  if (message) throw new Error(message)
}

async function hold (seconds) {
  holding += 1
  try {
    await new Promise(resolve => setTimeout(resolve, seconds * 1000))
  } finally {
    holding -= 1
  }
}

const sendText = puppet.messageSendText.bind(puppet)
puppet.messageSendText = async (conversationId, text, mentionIdList = []) => {
  refuse(conversationId)
  const held = holds.get(conversationId)
  holds.delete(conversationId)
  if (held && !held.takenFirst) await hold(held.seconds)
  const before = new Set(mocker.cacheMessagePayload.keys())
  await sendText(conversationId, text, mentionIdList)
  // The mock creates the message but returns no id; find it, so the bot gets a real id back.
  const id = [...mocker.cacheMessagePayload.keys()].find(key => !before.has(key))
    ?? `sent-${sentSeq + 1}`
  record({
    seq: ++sentSeq,
    id,
    conversationId,
    isRoom: conversationId.includes('@'),
    kind: 'text',
    text,
    mentionIds: [...(mentionIdList ?? [])],
    at: new Date().toISOString(),
  })
  if (held && held.takenFirst) await hold(held.seconds)
  return id
}

// A picture, video or file (a FileBox, streamed by the bot): its bytes are read and
// recorded by name, size and hash. The mock keeps no file messages, so none is made.
puppet.messageSendFile = async (conversationId, fileBox) => {
  refuse(conversationId)
  const data = await fileBox.toBuffer()
  const seq = ++sentSeq
  const id = `file-${seq}`
  record({
    seq,
    id,
    conversationId,
    isRoom: conversationId.includes('@'),
    kind: 'file',
    fileName: fileBox.name,
    size: data.length,
    sha256: crypto.createHash('sha256').update(data).digest('hex'),
    text: '',
    mentionIds: [],
    at: new Date().toISOString(),
  })
  return id
}

// ---------------------------------------------------------------------------------------
// Payloads not there yet (POST /payload-delay)

let payloadDelay = 0 // seconds
const hiddenUntil = new Map() // message id -> when (ms) its payload can be read
const messagePayload = puppet.messagePayload.bind(puppet)
puppet.messagePayload = async (id) => {
  const until = hiddenUntil.get(id)
  if (until !== undefined) {
    if (Date.now() < until) throw new Error(`no payload found for message ${id}`)
    hiddenUntil.delete(id)
  }
  return messagePayload(id)
}

// ---------------------------------------------------------------------------------------
// Pictures sent to the bot

// The mock keeps a posted FileBox by message id (messageFile serves it) but answers
// messageImage with a made-up QR code: serve the posted picture, whatever size is asked
// for (a real puppet has a thumbnail, the HD picture and the artwork).
puppet.messageImage = async (messageId, _imageType) => puppet.messageFile(messageId)

function postPicture ({ from, roomId, base64, name = 'picture.png' }) {
  if (!puppet.isLoggedIn) throw new Error('the bot is not logged in')
  if (typeof base64 !== 'string' || !base64) throw new Error('base64 is required')
  const talker = contactOrThrow(from)
  // The mock makes it an Image message when the name (or media type) says png or jpeg.
  const picture = FileBox.fromBase64(base64, name)
  const before = new Set(mocker.cacheMessagePayload.keys())
  talker.say(picture).to(roomId ? roomOrThrow(roomId) : mocker.ContactMock.load(botId))
  const messageId = [...mocker.cacheMessagePayload.keys()].find(key => !before.has(key))
  const type = mocker.cacheMessagePayload.get(messageId)?.type
  if (type !== PUPPET_TYPES.Message.Image) throw new Error(`${name} was not taken for a picture (type ${type})`)
  return { messageId }
}

// ---------------------------------------------------------------------------------------
// The control channel

async function handle (method, path, query, body) {
  if (method === 'GET' && path === '/state') {
    return {
      loggedIn: puppet.isLoggedIn,
      ready: Boolean(puppet.readyIndicator?.value()),
      holding,
      botId,
      botName,
      contacts: state.contacts,
      rooms: state.rooms.map(r => ({ ...r, memberIds: roomOrThrow(r.id).payload.memberIdList })),
    }
  }
  if (method === 'POST' && path === '/contacts') {
    const contact = createContact(body)
    saveState()
    return { id: contact.id, name: contact.payload.name }
  }
  if (method === 'POST' && path === '/rooms') {
    const room = createRoom(body)
    saveState()
    return { id: room.id, topic: room.payload.topic, memberIds: room.payload.memberIdList }
  }
  if (method === 'POST' && path === '/rooms/add') {
    const room = roomOrThrow(body.roomId)
    const invitees = (body.inviteeIds ?? []).map(contactOrThrow)
    const inviter = contactOrThrow(body.inviterId)
    room.add(...invitees).by(inviter)
    const saved = state.rooms.find(r => r.id === room.id)
    if (saved) saved.memberIds = room.payload.memberIdList
    saveState()
    return { id: room.id, memberIds: room.payload.memberIdList }
  }
  if (method === 'POST' && path === '/say') {
    if (!puppet.isLoggedIn) throw new Error('the bot is not logged in')
    const talker = contactOrThrow(body.from)
    const mentionIds = [...(body.mentionIds ?? [])]
    if (body.mentionBot && !mentionIds.includes(botId)) mentionIds.push(botId)
    const before = new Set(mocker.cacheMessagePayload.keys())
    if (body.roomId) {
      const room = roomOrThrow(body.roomId)
      talker.say(body.text, mentionIds.map(contactOrThrow)).to(room)
    } else {
      talker.say(body.text).to(mocker.ContactMock.load(botId))
    }
    const messageId = [...mocker.cacheMessagePayload.keys()].find(key => !before.has(key))
    if (payloadDelay > 0 && messageId) hiddenUntil.set(messageId, Date.now() + payloadDelay * 1000)
    return { messageId }
  }
  if (method === 'POST' && path === '/picture') {
    return postPicture(body)
  }
  if (method === 'GET' && path === '/sent') {
    const since = Number(query.get('since') ?? 0)
    return sent.filter(m => m.seq > since)
  }
  if (method === 'POST' && path === '/refuse') {
    if (body.conversationId) {
      if (body.message) refusals.set(body.conversationId, body.message)
      else refusals.delete(body.conversationId)
      return { conversationId: body.conversationId, refusal: body.message || null }
    }
    refusal = body.message || null
    return { refusal }
  }
  if (method === 'POST' && path === '/hold-send') {
    if (typeof body.conversationId !== 'string' || !body.conversationId) {
      throw new Error('conversationId is required')
    }
    holds.set(body.conversationId, {
      seconds: Number(body.seconds ?? 0),
      takenFirst: Boolean(body.takenFirst),
    })
    return { conversationId: body.conversationId }
  }
  if (method === 'POST' && path === '/payload-delay') {
    payloadDelay = Number(body.seconds ?? 0)
    return { payloadDelay }
  }
  if (method === 'POST' && path === '/logout') {
    await puppet.logout('logged out by the test')
    return { loggedIn: false }
  }
  if (method === 'POST' && path === '/login') {
    logIn()
    return { loggedIn: true }
  }
  const error = new Error(`no route ${method} ${path}`)
  error.status = 404
  throw error
}

const control = http.createServer((req, res) => {
  const chunks = []
  req.on('data', chunk => chunks.push(chunk))
  req.on('end', async () => {
    const url = new URL(req.url, `http://${HOST}`)
    let status = 200
    let result
    try {
      const raw = Buffer.concat(chunks).toString('utf8')
      result = await handle(req.method, url.pathname, url.searchParams, raw ? JSON.parse(raw) : {})
    } catch (e) {
      status = e.status ?? 400
      result = { error: String(e.message ?? e) }
    }
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
    res.end(JSON.stringify(result ?? null))
  })
})

// ---------------------------------------------------------------------------------------
// Start

const server = new PuppetServer({
  endpoint: `${HOST}:${args.port}`,
  puppet,
  token: args.token,
  tls: { disable: true },
})

async function main () {
  await puppet.start() // logs in (see above)
  await server.start()
  await new Promise((resolve, reject) => {
    control.once('error', reject)
    control.listen(Number(args['control-port']), HOST, resolve)
  })
  process.stdout.write(JSON.stringify({
    event: 'listening',
    grpcPort: Number(args.port),
    controlPort: control.address().port,
    botId,
  }) + '\n')
}

async function shutdown () {
  control.close()
  try {
    await server.stop()
  } finally {
    process.exit(0)
  }
}

process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)

main().catch(e => {
  process.stderr.write(`gateway failed to start: ${e.stack ?? e}\n`)
  process.exit(1)
})
