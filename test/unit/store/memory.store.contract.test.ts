import { MemoryStore } from '../../../lib/store/memory.store.js';
import { storeContract } from '../contracts/store.contract.js';

storeContract('MemoryStore', () => new MemoryStore(), { fencing: true });
