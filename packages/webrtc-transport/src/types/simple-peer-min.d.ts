declare module 'simple-peer/simplepeer.min.js' { import SimplePeer from 'simple-peer'; export default SimplePeer }
