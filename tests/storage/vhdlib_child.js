// vhdlib_child.js: makes a differencing VHD with vhd-lib 0.7.2 (an
// implementation independent of ours): an empty dynamic disk, chained to
// PARENT by vhd-lib's chainVhd, then written by vhd-lib's writeData.
// usage: node vhdlib_child.js NODE_MODULES PARENT CHILD SIZE WRITES.json
// WRITES.json: [[offset_bytes, hex_data], ...] (sector aligned)
'use strict';
const fs = require('fs');
const path = require('path');
const [modules, parent, child, sizeArg, writesFile] = process.argv.slice(2);
const lib = require(path.join(modules, 'vhd-lib'));
const ff = require(path.join(modules, 'vhd-lib/dist/_createFooterHeader'));
const geo = require(path.join(modules, 'vhd-lib/dist/_computeGeometryForSize'));
const C = require(path.join(modules, 'vhd-lib/dist/_constants'));

// The file-system "handler" vhd-lib expects (normally @xen-orchestra/fs).
const handler = {
  async read(p, buf, pos) {
    const fd = fs.openSync(p, 'r');
    try {
      const n = fs.readSync(fd, buf, 0, buf.length, pos);
      return { bytesRead: n, buffer: buf };
    } finally { fs.closeSync(fd); }
  },
  async write(p, data, offset) {
    const fd = fs.openSync(p, 'r+');
    try { fs.writeSync(fd, data, 0, data.length, offset); } finally { fs.closeSync(fd); }
  },
  async getSize(p) { return fs.statSync(p).size; },
};

async function main() {
  const size = Number(sizeArg);
  const entries = Math.ceil(size / C.DEFAULT_BLOCK_SIZE);
  const footer = ff.createFooter(size, Math.floor(Date.now() / 1000) - 946684800,
    geo.default(size), C.FOOTER_SIZE + 0, C.DISK_TYPE_DYNAMIC);
  const header = ff.createHeader(entries);
  const bat = Buffer.alloc(Math.ceil(entries * 4 / 512) * 512, 0xff);
  fs.writeFileSync(child, Buffer.concat([footer, header, bat, footer]));
  await lib.chainVhd(handler, parent, handler, child, true);
  const vhd = new lib.default(handler, child);
  await vhd.readHeaderAndFooter();
  await vhd.readBlockAllocationTable();
  for (const [off, hex] of JSON.parse(fs.readFileSync(writesFile, 'utf8')))
    await vhd.writeData(off / 512, Buffer.from(hex, 'hex'));
}
main().catch((e) => { console.error(e); process.exit(1); });
