/**
 * Every runtime of this agent that publishes host ports (containers, swarm services) chooses them under one
 * lock; ports chosen for a workload still being created stay reserved here until Docker itself holds them.
 */
import { Mutex } from 'async-mutex';

export const hostPortLock = new Mutex();
export const reservedHostPorts = new Set<number>();
